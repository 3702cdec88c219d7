glow_provider "a" {
  name = "A"
  key "primary" {
    value = vault("secret/a", "k")
  }
  key "primary" {
    value = vault("secret/b", "k")
  }
}
