runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" { # WARNING: Cluster ends with mixed versions
  address = "10.0.0.2"
  version = "6.0"
}
step "upgrade-node" "u" {
  node = node.FS1
  to   = "6.5"
}
