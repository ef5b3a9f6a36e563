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
state "etcd" { # ERROR: Missing required argument
  endpoints = "127.0.0.1:2379" # ERROR: Invalid state setting
  password  = "hunter2" # ERROR: Secret in state block
  username  = "root" # ERROR: Secret in state block
  ca_flie   = "ca.pem" # ERROR: Unsupported argument
  cert_file = 42 # ERROR: Invalid state setting
  tls {} # ERROR: Unexpected "tls" block
}
state "etcd" { # ERROR: Duplicate state block
  endpoints = []
  prefix    = var.prefix
}
