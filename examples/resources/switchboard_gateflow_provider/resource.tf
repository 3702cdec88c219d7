variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
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
  # Bump to send credentials_wo again.
  credentials_wo_version = 1

  # Optional: how long each operation may take, retries included.
  timeouts {
    create = "10m"
    update = "10m"
  }
}
