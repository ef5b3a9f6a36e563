# The licence is installed, but after the roll: one error, at the first
# upgrade, that says to move the step (not to add one).
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
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
  seats   = 4
}
rolling "roll" {
  nodes = [node.A1, node.A2, node.A3, node.A4]
  step "upgrade-node" "u" {
    node = each.node
    to   = "6.5" # ERROR: License not installed
  }
}
step "install-license" "late" {
  license = license.ncs65
}
