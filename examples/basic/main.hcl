# One Glow provider and one Gateflow provider, with their keys in Vault.
#
# The connection settings come from the environment, so the same files work
# against the emulator and a real instance:
#   GLOW_INSTANCE_URL, GLOW_TOKEN        (glow)
#   GATEFLOW_URL, GATEFLOW_ADMIN_KEY     (gateflow)
#   VAULT_ADDR, VAULT_TOKEN              (vault)
glow {}

gateflow {}

vault {}

glow_provider "openai_prod" {
  name        = "OpenAI Production"
  description = "Production OpenAI API for TA training simulations"
  departments = ["cs"]
  endpoints   = ["https://api.openai.com/v1"]
  values      = { timeout_s = "30" }

  key "primary" {
    value = vault("secret/llm/openai", "api_key")
  }

  lifecycle {
    prevent_destroy = true
  }
}

gateflow_provider "openai" {
  enabled     = true
  credentials = { api_key = vault("secret/llm/openai", "api_key") }
  settings    = { default_model = "gpt-5.2", timeout_ms = 30000 }
}
