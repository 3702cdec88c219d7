glow_provider "a" {
  name = "x"
  endpoints = [
}
