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
resource "POOL" {
  shared    = true
  preferred = [node.FS1, node.FS2]
}
step "upgrade-node" "fs1" {
  node = node.FS1
  to   = "6.5"
}
step "upgrade-node" "fs2" {
  node = node.FS2
  to   = "6.5"
}
step "await-failback" "fs1" {
  node = node.FS1
}
step "media-upgrade" "pools" {
  on          = node.FS1
  parallelism = 0 # ERROR: Invalid parallelism
}
