glow_provider "a" {
  name = "A"
  lifecycle {
    prevent_destroy = true
  }
  lifecycle {}
}
