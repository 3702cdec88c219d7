glow_provider "a" {
  name = "A"
}
