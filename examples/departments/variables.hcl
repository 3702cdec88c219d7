variable "departments" {
  type        = set(string)
  description = "Departments that get their own Anthropic provider in Glow."
  default     = ["cs", "math", "physics"]

  validation {
    condition     = alltrue([for d in var.departments : can(regex("^[a-z][a-z0-9-]*$", d))])
    error_message = "Department IDs are lowercase letters, digits and dashes."
  }
}

variable "default_models" {
  type = map(string)
  default = {
    anthropic = "claude-sonnet-4-5"
    mistral   = "mistral-large-latest"
  }
}
