variable "a" {
  type = string
}
variable "b" {}
variable "c" {
  default = "ok"
}
