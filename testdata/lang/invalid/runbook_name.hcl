runbook "../../x" { # ERROR: Invalid runbook name
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
