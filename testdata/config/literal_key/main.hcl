glow_provider "a" {
  name = "A"
  key "primary" {
    value = "sk-live-written-in-the-file"
  }
}
