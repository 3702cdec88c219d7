glow_provider "a" {
  id   = "prov-1"
  name = "A"
}
glow_provider "b" {
  id   = "prov-1"
  name = "B"
}
