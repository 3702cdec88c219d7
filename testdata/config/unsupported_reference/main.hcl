glow_provider "a" {
  name = "A"
}
glow_provider "b" {
  name = glow_provider.a.name
}
