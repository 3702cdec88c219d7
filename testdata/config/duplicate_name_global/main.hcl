glow_provider "a" {
  name = "Shared"
}
glow_provider "b" {
  name = "Shared"
}
glow_provider "c" {
  name        = "Shared"
  departments = ["cs"]
}
