glow_provider "a" {
  name = each.key
}
