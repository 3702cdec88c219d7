glow_provider "a" {
  for_each = toset([1, 2])
  name     = "A"
}
