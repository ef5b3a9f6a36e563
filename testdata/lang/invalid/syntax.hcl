runbook "r" {}
cluster "c" {}
node "FS1" {
  address = # ERROR: Invalid expression
  version = "6.0"
}
