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
}
license "ncs70" {
  product = "OES 7 Cluster Server"
  version = "7.0" # WARNING: License not used
}
step "install-license" "ncs65" {
  license = license.ncs65
}
rolling "roll" {
  nodes = [node.FS1, node.FS2, node.FS3]
  step "upgrade-node" "u" {
    node = each.node
    to   = "6.5"
  }
}
