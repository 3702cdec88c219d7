glow_provider "a" {
  name  = "A"
  owner = "me"
}
