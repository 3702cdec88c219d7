# the same address in another file
glow_provider "a" {
  name = "A again"
}
