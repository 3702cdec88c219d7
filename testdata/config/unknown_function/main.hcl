glow_provider "a" {
  name = frobnicate("x.tpl", {})
}
