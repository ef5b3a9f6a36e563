runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "HOMED_FS1" {
  preferred = [node.FS1, node.FS2]
  failback  = "manual"
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "upgrade-node" "u" {
    node = each.node # WARNING: No failback awaited
    to   = "6.5"
  }
}
