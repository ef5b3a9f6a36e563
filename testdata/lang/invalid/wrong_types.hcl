runbook "r" {}
variable "count" {
  type    = number
  default = 2
}
cluster "c" {
  driver = "simulator" # ERROR: Unsupported value
  sim {
    leave = 10 # ERROR: Invalid duration
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.x" # ERROR: Invalid version
}
node "FS3" {
  address = 10 # ERROR: Incorrect attribute value type
  version = 6 # ERROR: Invalid version
}
resource "R" {
  shared    = "yes" # ERROR: Incorrect attribute value type
  preferred = [node.FS1, "FS3"] # ERROR: Invalid node reference
  failback  = "sometimes" # ERROR: Unsupported value
}
resource "S" {
  preferred = node.FS1 # ERROR: Invalid node list
}
license "l" {
  product   = "p"
  version   = "6.5"
  seats     = 3.5 # ERROR: Invalid number
  min_nodes = "3" # ERROR: Incorrect attribute value type
}
step "upgrade-node" "a" {
  node    = "FS1" # ERROR: Invalid node reference
  to      = "6.5"
}
step "upgrade-node" "b" {
  node    = resource.R # ERROR: Invalid node reference
  to      = 6.5 # ERROR: Invalid version
  timeout = 45 # ERROR: Invalid duration
}
step "upgrade-node" "c" {
  node    = node.FS1
  to      = "6.5.x" # ERROR: Invalid version
  timeout = "45 minutes" # ERROR: Invalid duration
}
step "install-license" "d" {
  license = node.FS1 # ERROR: Invalid license reference
}
step "await-failback" "e" {
  node      = node.FS1
  resources = [node.FS2] # ERROR: Invalid resource reference
  when      = "yes" # ERROR: Incorrect attribute value type
}
step "approve" "f" {
  message = "ok"
  when    = var.count # ERROR: Incorrect attribute value type
}
