runbook "r" {}
locals {
  a = local.b # ERROR: Cycle in references
  b = local.a
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
