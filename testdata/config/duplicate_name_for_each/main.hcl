glow_provider "a" {
  for_each    = toset(["cs", "math"])
  name        = "Same for all"
  departments = ["shared"]
}
