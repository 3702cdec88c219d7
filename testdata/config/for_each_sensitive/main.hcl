glow_provider "a" {
  for_each = toset([env("DEPT")])
  name     = "A"
}
