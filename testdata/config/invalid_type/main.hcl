variable "n" {
  type = strang
}
