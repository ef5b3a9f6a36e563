runbook "r" {}
variable "target" {
  type    = string
  default = ["6.5"] # ERROR: Invalid value for variable
}
variable "size" {
  type    = number
  default = 3 # ERROR: Invalid value for variable
  validation {
    condition     = var.size < 3
    error_message = "The size must be below 3."
  }
}
variable "loose" {
  type = list(strin) # ERROR: Invalid type specification
}
variable "required" {
  type = string
}
variable "checked" {
  default = "x"
  validation {
    condition     = var.target == "x" # ERROR: Invalid reference in variable validation
    error_message = "Bad."
  }
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
