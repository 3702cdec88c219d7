glow_provider "1st" {
  name = "A"
}
