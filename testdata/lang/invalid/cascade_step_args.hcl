# An upgrade whose node is wrong is one error: the await-failback after
# it is not said to come before an upgrade. A step whose address is taken
# is one error too: its own findings (a second upgrade of A2) are not
# reported again.
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
resource "P1" {
  preferred = [node.A1, node.A2]
  failback  = "manual"
}
resource "P2" {
  preferred = [node.A2, node.A1]
  failback  = "manual"
}
step "upgrade-node" "one" {
  node = node.AA1 # ERROR: Reference to undeclared node
  to   = "6.5"
}
step "await-failback" "one" {
  node = node.A1
}
step "upgrade-node" "two" {
  node = node.A2
  to   = "6.5"
}
step "upgrade-node" "two" { # ERROR: Duplicate step
  node = node.A2
  to   = "6.5"
}
step "await-failback" "two" {
  node = node.A2
}
