# A node left out of the roll is one error, at the media upgrade that
# names it; the mixed versions at the end are the same finding.
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
  shared    = true
  preferred = [node.A1, node.A2]
}
rolling "upgrade" {
  nodes = [node.A1]
  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }
  step "await-failback" "failback" {
    node = each.node
  }
}
step "media-upgrade" "pools" { # ERROR: Media upgrade before every node is upgraded
  on = node.A1
}
