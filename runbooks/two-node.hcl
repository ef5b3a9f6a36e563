# A two-node cluster: its Cluster Server licences ship with both versions,
# so there is no license block and no install-license step (R1).

runbook "two-node" {
  description = "Rolling upgrade of the two-node cluster CL2 to NetWare 6.5"
  version     = "1.0.0"
}

cluster "CL2" {
  driver = "sim"
}

node "NW1" {
  address = "10.20.0.11"
  version = "6.0"
}

node "NW2" {
  address = "10.20.0.12"
  version = "6.0"
}

resource "DATA_SERVER" {
  shared      = true
  preferred   = [node.NW1, node.NW2]
  load_script = "nss /poolactivate=DATA\nmount DATA"
}

resource "HOME_SERVER" {
  shared      = true
  preferred   = [node.NW2, node.NW1]
  load_script = "nss /poolactivate=HOME\nmount HOME"
}

rolling "upgrade" {
  nodes = [node.NW1, node.NW2]

  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }

  step "await-failback" "failback" {
    node = each.node
  }
}

step "media-upgrade" "pools" {
  on = node.NW1
}
