# Every argument falls back to its environment variable:
# GLOW_INSTANCE_URL, GLOW_TOKEN, GATEFLOW_URL, GATEFLOW_ADMIN_KEY, and the
# Vault CLI's VAULT_ADDR, VAULT_TOKEN (or ~/.vault-token), VAULT_NAMESPACE.
provider "switchboard" {
  glow_url     = "https://glow.example.com"
  gateflow_url = "https://api.gateflow.ai"
  # glow_token and gateflow_admin_key are best left to the environment.

  # For the keys' vault references; the token is best left to VAULT_TOKEN.
  vault = {
    address = "https://vault.example.com:8200"
  }

  # Written into the ownership marker of the Glow providers this state
  # creates; give each state that manages the same Glow its own.
  owner = "platform-terraform"
}
