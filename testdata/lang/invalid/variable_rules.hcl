runbook "r" {}
variable "v" {
  default     = "6.5"
  description = var.other # ERROR: Invalid reference
  validation {
    condition     = var.v # ERROR: Invalid validation condition
    error_message = "Bad."
  }
}
variable "other" {
  default = "x"
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
