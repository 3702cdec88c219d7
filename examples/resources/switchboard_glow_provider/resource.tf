resource "switchboard_glow_provider" "openai" {
  name        = "OpenAI Production"
  description = "OpenAI for research and support"
  departments = ["research", "support"]
  endpoints   = ["https://api.openai.com/v1"]
  values = {
    region = "us"
  }

  keys = {
    # From Vault: a plan reads only the secret's metadata, and a new
    # version written to Vault shows as a planned rotation.
    primary = {
      vault = { path = "secret/llm/openai", key = "api_key" }
    }
    # Pinned to one version of the secret.
    pinned = {
      vault = { path = "secret/llm/openai", key = "api_key", version = 3 }
    }
    # From the configuration, write-only: bump value_wo_version to send a
    # new value (a new key is attached and the old one detached and
    # deleted, in one guarded update).
    fallback = {
      value_wo         = var.openai_fallback_key
      value_wo_version = 1
    }
  }
}

variable "openai_fallback_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
