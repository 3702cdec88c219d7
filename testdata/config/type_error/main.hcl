glow_provider "a" {
  name        = "A"
  departments = 3
}
