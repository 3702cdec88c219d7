# One team's providers: an OpenAI provider in the team's Glow department,
# with its key in Vault. Every environment calls this module for each team.
variable "team" {
  type        = string
  description = "The Glow department of the team."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.team))
    error_message = "A team is a Glow department id: lower-case letters, digits and '-'."
  }
}

variable "key_path" {
  type        = string
  description = "The Vault path of the OpenAI key of this environment."
}

glow_provider "openai" {
  name        = "OpenAI (${var.team})"
  description = "OpenAI for the ${var.team} department"
  departments = [var.team]
  endpoints   = ["https://api.openai.com/v1"]

  key "primary" {
    value = vault(var.key_path, "api_key")
  }
}

output "provider_name" {
  value = "OpenAI (${var.team})"
}
