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
resource "R" {
  preferred = [node.FS1, node.FS2]
}
step "await-failback" "early" {
  node = node.FS1 # ERROR: Failback awaited before upgrade
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "upgrade-node" "u" {
    node = each.node
    to   = "6.5"
  }
  step "await-failback" "f" {
    node = each.node
  }
}
