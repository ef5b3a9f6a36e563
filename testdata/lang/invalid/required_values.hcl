# OPTION: --require-values
runbook "r" {}
variable "target" { # ERROR: No value for required variable
  type = string
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
