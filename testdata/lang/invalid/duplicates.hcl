runbook "r" {}
runbook "again" {} # ERROR: Duplicate runbook block
cluster "c" {}
cluster "d" {} # ERROR: Duplicate cluster block
variable "v" {
  default = "6.5"
}
variable "v" { # ERROR: Duplicate variable
  default = "6.6"
}
locals {
  x = 1
}
locals {
  x = 2 # ERROR: Duplicate local value
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS1" { # ERROR: Duplicate node
  address = "10.0.0.2"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "R" {
  preferred = [node.FS1, node.FS2]
}
resource "R" { # ERROR: Duplicate resource
  preferred = [node.FS2]
}
license "l" {
  product = "p"
  version = "6.5" # WARNING: License not used
  min_nodes = 3
}
license "l" { # ERROR: Duplicate license
  product = "q"
  version = "6.5"
}
step "approve" "go" {
  message = "Go?"
}
step "approve" "go" { # ERROR: Duplicate step
  message = "Really?"
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "approve" "a" {
    message = "Next node?"
  }
  step "approve" "a" { # ERROR: Duplicate step
    message = "Sure?"
  }
}
rolling "roll" { # ERROR: Duplicate rolling block
  nodes = [node.FS1]
}
