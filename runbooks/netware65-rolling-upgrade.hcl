# The seed runbook: a rolling upgrade of the three-node cluster CL1 from
# NetWare 6 to NetWare 6.5, following the vendor procedure (README: R1-R7).
#
#   runbook validate runbooks/netware65-rolling-upgrade.hcl
#   runbook plan     runbooks/netware65-rolling-upgrade.hcl
#   runbook run --auto-approve runbooks/netware65-rolling-upgrade.hcl   # on the simulator

runbook "netware65-rolling-upgrade" {
  description = "Rolling upgrade of CL1 from NetWare 6 to NetWare 6.5"
  version     = "1.0.0"
}

variable "target_version" {
  type    = string
  default = "6.5"
}

cluster "CL1" {
  driver = "sim" # the embedded simulator; "exec" drives a real cluster
}

node "FS1" {
  address = "10.10.0.11"
  version = "6.0"
}

node "FS2" {
  address = "10.10.0.12"
  version = "6.0"
}

node "FS3" {
  address = "10.10.0.13"
  version = "6.0"
}

# Each shared pool has a different home node, so that every node hosts a
# pool and every upgrade moves one.
resource "POOL1_SERVER" {
  shared      = true
  preferred   = [node.FS1, node.FS2, node.FS3]
  failback    = "auto"
  load_script = "nss /poolactivate=POOL1\nmount VOL1"
}

resource "POOL2_SERVER" {
  shared      = true
  preferred   = [node.FS2, node.FS3, node.FS1]
  load_script = "nss /poolactivate=POOL2\nmount VOL2"
}

resource "POOL3_SERVER" {
  shared      = true
  preferred   = [node.FS3, node.FS1, node.FS2]
  failback    = "manual" # moved back by await-failback, not by the cluster
  load_script = "nss /poolactivate=POOL3\nmount VOL3"
}

# Not on shared storage: it fails over like the pools but takes no part in
# the media upgrade.
resource "IPRINT_SERVER" {
  preferred   = [node.FS2, node.FS1]
  load_script = "load iprntsrv"
}

# R1: a cluster of three or more nodes needs the NetWare 6.5 Cluster Server
# licences installed before its first node is upgraded.
license "ncs65" {
  product   = "NetWare 6.5 Cluster Server"
  version   = var.target_version
  seats     = length(node)
  min_nodes = 3
}

step "install-license" "ncs65" {
  license = license.ncs65
}

# R2-R5, one node at a time: the node leaves, its resources fail over, it is
# upgraded and rejoins; then its resources come back to it.
rolling "upgrade" {
  nodes = [node.FS1, node.FS2, node.FS3]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target_version
    timeout = "45m"
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "10m"
  }
}

# R7, last: the only planned downtime of the procedure.
step "media-upgrade" "pools" {
  on = node.FS1
}
