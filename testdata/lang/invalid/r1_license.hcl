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
node "FS3" {
  address = "10.0.0.3"
  version = "6.0"
}
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
  seats   = 2 # ERROR: Too few license seats
}
rolling "roll" {
  nodes = [node.FS1, node.FS2, node.FS3]
  step "upgrade-node" "u" {
    node = each.node
    to   = "6.5" # ERROR: License not installed
  }
}
step "install-license" "late" {
  license = license.ncs65
}
