locals {
  a = "${local.b}-a"
  b = "${local.c}-b"
  c = local.a
}
glow_provider "p" {
  name = local.a
}
