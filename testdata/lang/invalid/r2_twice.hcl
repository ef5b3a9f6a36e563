runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" { # WARNING: Cluster ends with mixed versions
  address = "10.0.0.2"
  version = "6.5"
}
step "upgrade-node" "first" {
  node = node.FS1
  to   = "6.5"
}
step "upgrade-node" "again" {
  node = node.FS1 # ERROR: Node upgraded twice
  to   = "6.5"
}
step "upgrade-node" "down" {
  node = node.FS2
  to   = "6.0" # ERROR: Upgrade not above current version
}
