glow_provider "a" {
  name = local.missing
}
