# A reusable module: one Glow provider whose keys come from a variable.
# terraform validate sees var.keys as unknown, which the provider must
# accept.

terraform {
  required_providers {
    switchboard = { source = "switchboard-hq/switchboard" }
  }
}

variable "name" {
  type = string
}

variable "departments" {
  type = list(string)
}

# Key label => value_wo_version.
variable "keys" {
  type = map(number)
}

variable "api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "switchboard_glow_provider" "this" {
  name        = var.name
  departments = var.departments
  keys = {
    for label, version in var.keys : label => {
      value_wo         = var.api_key
      value_wo_version = version
    }
  }
}

output "id" {
  value = switchboard_glow_provider.this.id
}
