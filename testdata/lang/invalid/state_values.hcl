runbook "r" {}
variable "prefix" {
  type    = string
  default = "/runbook/c"
}
cluster "c" {}
node "A" {
  address = "10.0.0.1"
  version = "6.0"
}
state "etcd" {
  endpoints = [] # ERROR: Invalid state setting
  prefix    = var.prefix # ERROR: Invalid state setting
  key_file  = "" # ERROR: Invalid state setting
}
