glow_provider "a" {
  name        = "A"
  description = vault("secret/a", "k")
  values      = { token = env("SOME_TOKEN") }
}
