# The walkthrough in docs/terraform.md: a Glow provider whose key is a Vault
# reference, and Gateflow's openai. A plan reads only the secret's Vault
# metadata; writing a new version in Vault plans a rotation.

terraform {
  required_version = ">= 1.11"
  required_providers {
    switchboard = {
      source = "switchboard-hq/switchboard"
    }
  }
}

# Glow and Gateflow from GLOW_INSTANCE_URL, GLOW_TOKEN, GATEFLOW_URL and
# GATEFLOW_ADMIN_KEY; Vault from VAULT_ADDR and VAULT_TOKEN, as the vault
# CLI and switchboard plan read them.
provider "switchboard" {}

resource "switchboard_glow_provider" "openai" {
  name        = "OpenAI Production"
  description = "OpenAI for every department"
  departments = ["research", "support"]
  endpoints   = ["https://api.openai.com/v1"]
  values = {
    region = "us"
  }

  keys = {
    primary = {
      vault = { path = "secret/llm/openai", key = "api_key" }
    }
  }
}

# Gateflow credentials have no Vault reference yet: they come from an
# ephemeral variable (TF_VAR_openai_api_key), sent when the version changes.
variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "openai_api_key_version" {
  type    = number
  default = 1
}

resource "switchboard_gateflow_provider" "openai" {
  provider_id = "openai"
  enabled     = true
  settings = {
    default_model = "gpt-4o"
  }

  credentials_wo = {
    api_key = var.openai_api_key
  }
  credentials_wo_version = var.openai_api_key_version
}

output "glow_key_vault_version" {
  value = switchboard_glow_provider.openai.keys["primary"].vault_version
}
