runbook "netware65-rolling-upgrade" {
  description = "Rolling upgrade of CL1 from NetWare 6 to NetWare 6.5"
  version     = "1.0.0"                 # the runbook's own version
}

variable "target_version" {
  type    = string
  default = "6.5"
}

cluster "CL1" {
  driver = "sim"                        # the embedded default; "exec" for real machines
}

node "FS1" {
  address = "10.10.0.11"
  version = "6.0"                       # the version it runs before the runbook starts
}
node "FS2" {
  address = "10.10.0.12"
  version = "6.0"
}
node "FS3" {
  address = "10.10.0.13"
  version = "6.0"
}

resource "POOL1_SERVER" {
  shared      = true                    # on shared storage: takes part in media-upgrade
  preferred   = [node.FS1, node.FS2, node.FS3]   # first = home node, then failover order
  failback    = "auto"                  # or "manual"
  load_script = "nss /poolactivate=POOL1\nmount VOL1"
}

license "ncs65" {
  product   = "NetWare 6.5 Cluster Server"
  version   = var.target_version        # the version these licences cover
  seats     = 3
  min_nodes = 3                         # required from this cluster size on
}

step "install-license" "ncs65" {
  license = license.ncs65
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2, node.FS3]   # the order of the roll

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

step "media-upgrade" "pools" {
  on = node.FS1                         # the node that upgrades the media; the rest refresh
}
