# One team's Glow providers, called once per team with for_each. The
# provider configuration (which Glow, which owner) comes from the caller's
# `providers` argument, so the same module serves staging and prod.

terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}

variable "team" {
  description = "Team name: the department and part of every name."
  type        = string
}

variable "api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "api_key_version" {
  type    = number
  default = 1
}

resource "switchboard_glow_provider" "openai" {
  name        = "OpenAI ${var.team}"
  departments = [var.team]
  endpoints   = ["https://${var.team}.openai.example/v1"]
  keys = {
    primary = {
      value_wo         = var.api_key
      value_wo_version = var.api_key_version
    }
  }
}

resource "switchboard_glow_provider" "anthropic" {
  name        = "Anthropic ${var.team}"
  departments = [var.team]
  endpoints   = ["https://${var.team}.anthropic.example/v1"]
  keys = {
    primary = {
      value_wo         = var.api_key
      value_wo_version = var.api_key_version
    }
  }
}

output "provider_ids" {
  value = {
    openai    = switchboard_glow_provider.openai.id
    anthropic = switchboard_glow_provider.anthropic.id
  }
}
