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
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
}
step "install-license" "ncs65" {
  license = license.ncs65 # WARNING: License not needed
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "upgrade-node" "u" {
    node = each.node
    to   = "6.5"
  }
}
