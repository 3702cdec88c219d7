glow_provider "a" {
  name = "A"
  key "nopath" {
    value = vault("secret", "api_key")
  }
  key "version" {
    value = vault("secret/llm/openai", "api_key", 0)
  }
  key "nokey" {
    value = vault("secret/llm/openai", "")
  }
}
