glow_provider "a" {
  description = "no name"
}
