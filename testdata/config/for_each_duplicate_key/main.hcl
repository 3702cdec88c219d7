locals {
  depts = ["cs", "math", "cs"]
}
glow_provider "a" {
  for_each = { for d in local.depts : d => upper(d) }
  name     = each.value
}
