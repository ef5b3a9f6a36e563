# A typo in a step type is one error: the steps it would have been take no
# part in the abstract run, so neither the failbacks after it, nor the
# media upgrade, nor the licence report their absence.
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
node "A4" {
  address = "10.0.0.4"
  version = "6.0"
}
resource "P1" {
  shared    = true
  preferred = [node.A1, node.A2]
}
resource "P2" {
  shared    = true
  preferred = [node.A3, node.A4]
  failback  = "manual"
}
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
  seats   = 4
}
step "install-license" "ncs65" {
  license = license.ncs65
}
rolling "upgrade" {
  nodes = [node.A1, node.A2, node.A3, node.A4]
  step "upgrade-nodes" "upgrade" { # ERROR: Unsupported step type
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
