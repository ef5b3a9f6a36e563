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
resource "ONLY_FS1" {
  preferred = [node.FS1]
}
resource "BOTH" {
  preferred = [node.FS2, node.FS1]
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "upgrade-node" "u" {
    node = each.node # ERROR: Resource would go offline
    to   = "6.5"
  }
  step "await-failback" "f" {
    node = each.node
  }
}
