glow_provider "a" {
  name = var.missing
}
