runbook "r" {}
cluster "c" {}
node "FS 1" { # ERROR: Invalid name
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
step "approve" "go now" { # ERROR: Invalid name
  message = "Go?"
}
