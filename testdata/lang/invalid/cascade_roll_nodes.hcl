# An unknown node in a roll's list is one error: the roll takes no part in
# the abstract run, so the media upgrade after it is not said to come
# before the upgrades, nor the licence to be unused.
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
resource "P1" {
  shared    = true
  preferred = [node.A1, node.A2]
}
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
  seats   = 3
}
step "install-license" "ncs65" {
  license = license.ncs65
}
rolling "upgrade" {
  nodes = [node.A1, node.A2, node.A4] # ERROR: Reference to undeclared node
  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }
  step "await-failback" "failback" {
    node = each.node
  }
}
step "media-upgrade" "pools" {
  on = node.A1
}
