# Upgrades to the version the nodes already run are one error: the media
# upgrade after them is not also said to find the media at the nodes'
# version.
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
  nodes = [node.A1, node.A2]
  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.0" # ERROR: Upgrade not above current version
  }
  step "await-failback" "failback" {
    node = each.node
  }
}
step "media-upgrade" "pools" {
  on = node.A1
}
