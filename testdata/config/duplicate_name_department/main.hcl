glow_provider "a" {
  name        = "OpenAI"
  departments = ["cs", "math"]
}
glow_provider "b" {
  name        = "OpenAI"
  departments = ["bio", "math"]
}
glow_provider "c" {
  name        = "OpenAI"
  departments = ["bio2"]
}
