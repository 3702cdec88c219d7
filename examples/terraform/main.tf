# A Glow provider and a Gateflow provider managed with Terraform.
# docs/terraform.md walks through running this against the emulator.

terraform {
  required_version = ">= 1.11"
  required_providers {
    switchboard = {
      source = "switchboard-hq/switchboard"
    }
  }
}

# Credentials come from GLOW_INSTANCE_URL, GLOW_TOKEN, GATEFLOW_URL and
# GATEFLOW_ADMIN_KEY.
provider "switchboard" {}

variable "openai_api_key" {
  description = "OpenAI API key (set TF_VAR_openai_api_key)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "openai_api_key_version" {
  description = "Bump to send a new openai_api_key to Glow and Gateflow."
  type        = number
  default     = 1
}

resource "switchboard_glow_provider" "openai" {
  name        = "OpenAI Production"
  description = "OpenAI for every department"
  departments = ["research", "support"]
  endpoints   = ["https://api.openai.com/v1"]
  values = {
    region = "us"
    tier   = "enterprise"
  }

  # Without Vault: the value from an ephemeral variable, sent when its
  # version changes. vault/main.tf references Vault instead.
  keys = {
    primary = {
      value_wo         = var.openai_api_key
      value_wo_version = var.openai_api_key_version
    }
  }
}

resource "switchboard_gateflow_provider" "openai" {
  provider_id = "openai"
  enabled     = true
  settings = {
    default_model = "gpt-4o"
    timeout_ms    = "30000"
  }

  credentials_wo = {
    api_key = var.openai_api_key
  }
  credentials_wo_version = var.openai_api_key_version
}

output "glow_provider_id" {
  value = switchboard_glow_provider.openai.id
}

output "gateflow_status" {
  value = switchboard_gateflow_provider.openai.status
}
