glow_provider "a" {
  for_each = null
  name     = "A"
}
