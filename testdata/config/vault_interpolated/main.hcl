glow_provider "a" {
  name = "A"
  key "primary" {
    value = "Bearer ${vault("secret/llm/openai", "api_key")}"
  }
  key "upper" {
    value = upper(vault("secret/llm/openai", "api_key"))
  }
  key "two" {
    value = join("", [vault("secret/a", "k"), vault("secret/b", "k")])
  }
}
