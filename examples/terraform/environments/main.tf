# Staging and prod from one configuration: a provider configuration per
# environment (an alias, its own Glow and Gateflow, its own owner), and one
# module called for every team in each. docs/terraform.md ("Environments
# and modules") walks through it.

terraform {
  required_version = ">= 1.11"
  required_providers {
    switchboard = {
      source = "switchboard-hq/switchboard"
    }
  }
}

variable "environments" {
  description = "Where each environment's Glow and Gateflow are."
  type = map(object({
    glow_url     = string
    gateflow_url = string
  }))
}

# Tokens differ per instance, so they come from variables rather than
# GLOW_TOKEN and GATEFLOW_ADMIN_KEY, which every alias would share.
variable "glow_tokens" {
  type      = map(string)
  sensitive = true
  ephemeral = true
}

variable "gateflow_admin_keys" {
  type      = map(string)
  sensitive = true
  ephemeral = true
}

variable "teams" {
  description = "Every team gets its own providers in both environments."
  type        = set(string)
  default     = ["cs", "math"]
}

variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

# The owner goes into the ownership marker of everything an environment
# creates: if both configurations ever point at the same Glow, neither
# takes over the other's providers.
provider "switchboard" {
  alias              = "staging"
  owner              = "staging"
  glow_url           = var.environments["staging"].glow_url
  glow_token         = var.glow_tokens["staging"]
  gateflow_url       = var.environments["staging"].gateflow_url
  gateflow_admin_key = var.gateflow_admin_keys["staging"]
}

provider "switchboard" {
  alias              = "prod"
  owner              = "prod"
  glow_url           = var.environments["prod"].glow_url
  glow_token         = var.glow_tokens["prod"]
  gateflow_url       = var.environments["prod"].gateflow_url
  gateflow_admin_key = var.gateflow_admin_keys["prod"]
}

# module.staging_team["cs"].switchboard_glow_provider.openai, …
module "staging_team" {
  source   = "./modules/team"
  for_each = var.teams
  providers = {
    switchboard = switchboard.staging
  }
  team    = each.key
  api_key = var.openai_api_key
}

module "prod_team" {
  source   = "./modules/team"
  for_each = var.teams
  providers = {
    switchboard = switchboard.prod
  }
  team    = each.key
  api_key = var.openai_api_key
}

# Gateflow has one provider per id for the whole gateway, so it sits
# outside the team module, once per environment.
resource "switchboard_gateflow_provider" "staging_openai" {
  provider    = switchboard.staging
  provider_id = "openai"
  enabled     = true
  settings    = { default_model = "gpt-4o-mini" }
  credentials_wo = {
    api_key = var.openai_api_key
  }
  credentials_wo_version = 1
}

resource "switchboard_gateflow_provider" "prod_openai" {
  provider    = switchboard.prod
  provider_id = "openai"
  enabled     = true
  settings    = { default_model = "gpt-4o" }
  credentials_wo = {
    api_key = var.openai_api_key
  }
  credentials_wo_version = 1
}

output "provider_ids" {
  value = {
    staging = { for team, m in module.staging_team : team => m.provider_ids }
    prod    = { for team, m in module.prod_team : team => m.provider_ids }
  }
}
