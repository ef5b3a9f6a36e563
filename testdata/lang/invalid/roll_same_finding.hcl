# The same finding on each node of a roll is one diagnostic naming the
# nodes; findings that differ by more than the node stay apart.
runbook "r" {}
cluster "c" {}
node "A1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "A2" {
  address = "10.0.0.2"
  version = "6.0"
}
node "A3" {
  address = "10.0.0.3"
  version = "6.0"
}
node "B1" {
  address = "10.0.1.1"
  version = "5.0"
}
node "B2" {
  address = "10.0.1.2"
  version = "5.0"
}
resource "P1" {
  preferred = [node.B1, node.B2]
}
resource "P2" {
  preferred = [node.B2, node.B1]
}
rolling "down" {
  nodes = [node.A1, node.A2, node.A3]
  step "upgrade-node" "u" {
    node = each.node
    to   = "5.1" # ERROR: Upgrade not above current version
  }
}
rolling "up" {
  nodes = [node.B1, node.B2]
  step "upgrade-node" "u" {
    node = each.node # WARNING: No failback awaited
    to   = "5.1"
  }
}
