glow_provider "a" {
  for_each = "cs"
  name     = "A"
}
