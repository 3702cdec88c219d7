# The prod environment: its own Glow, Gateflow and Vault, and the shared
# module for every team. The connection settings are variables so that the
# walkthrough (docs/environments.md) can point it at an emulator; in a real
# repository they are literal URLs, reviewed with the rest of the file.
variable "glow_url" {
  type = string
}

variable "gateflow_url" {
  type = string
}

variable "vault_addr" {
  type = string
}

glow {
  url         = var.glow_url
  owner       = "platform"
  environment = "prod"
}

gateflow {
  url = var.gateflow_url
}

vault {
  address = var.vault_addr
}

module "team" {
  source   = "../../modules/team"
  for_each = toset(["cs", "math", "physics"])

  team     = each.key
  key_path = "secret/prod/llm/openai"
}
