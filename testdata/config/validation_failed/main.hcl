variable "region" {
  type    = string
  default = "mars"
  validation {
    condition     = contains(["us", "eu"], var.region)
    error_message = "Region must be us or eu."
  }
}
