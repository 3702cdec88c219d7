gateflow_provider "openai" {
  credentials = {
    api_key         = "sk-live-written-in-the-file"
    organization_id = vault("secret/llm/openai", "org")
  }
}
