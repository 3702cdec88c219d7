glow_provider "a" {
  for_each = toset(["x"])
  name     = each.index
}
