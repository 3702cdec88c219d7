glow_provider "a" {
  name        = " "
  departments = ["cs", ""]
  endpoints   = ["https://api.openai.com/v1", "https://api.openai.com/v1"]
}
