variable "key" {
  type      = string
  sensitive = true
  default   = "sk-from-default"
}
variable "plain_token" {
  default = "tok-plain"
}
glow {
  token = var.plain_token
}
glow_provider "a" {
  name = "A"
  key "primary" {
    value = var.key
  }
}
