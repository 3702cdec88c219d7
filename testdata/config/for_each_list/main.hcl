glow_provider "a" {
  for_each = ["cs", "math"]
  name     = each.key
}
