variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "switchboard_glow_provider" "openai" {
  name        = "OpenAI Production"
  description = "OpenAI for research and support"
  departments = ["research", "support"]
  endpoints   = ["https://api.openai.com/v1"]
  values = {
    region = "us"
  }

  key {
    name     = "primary"
    value_wo = var.openai_api_key
    # Bump to send a new value: the key is rotated (new key attached,
    # old key detached and deleted, in one publish).
    value_wo_version = 1
  }
}
