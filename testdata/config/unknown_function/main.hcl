glow_provider "a" {
  name = templatefile("x.tpl", {})
}
