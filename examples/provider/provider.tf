# Every argument falls back to its environment variable:
# GLOW_INSTANCE_URL, GLOW_TOKEN, GATEFLOW_URL, GATEFLOW_ADMIN_KEY.
provider "switchboard" {
  glow_url     = "https://glow.example.com"
  gateflow_url = "https://api.gateflow.ai"
  # glow_token and gateflow_admin_key are best left to the environment.
}
