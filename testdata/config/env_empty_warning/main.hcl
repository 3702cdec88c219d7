glow_provider "a" {
  name = "A"
  key "primary" {
    value = env("UNSET_KEY_FOR_TEST")
  }
}
