runbook "r" {}
variable "target" {
  default = "6.5"
}
locals {
  first = node.FS1
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = local.adress # ERROR: Reference to undeclared local value
  version = "6.0"
}
resource "R" {
  preferred = [node.FS1, node.FS9] # ERROR: Reference to undeclared node
}
step "upgrade-node" "a" {
  node = node.FS1
  to   = var.targte # ERROR: Reference to undeclared input variable
}
step "install-license" "b" {
  license = license.ncs # ERROR: Reference to undeclared license
}
step "await-failback" "c" {
  node      = each.node # ERROR: Invalid each reference
  resources = [resource.R2] # ERROR: Reference to undeclared resource
}
step "approve" "d" {
  message = nodes.FS1.name # ERROR: Unknown reference
}
step "approve" "e" {
  message = upper(local.first.adress) # ERROR: Unsupported attribute
}
step "approve" "f" {
  message = lenght(node) # ERROR: Call to unknown function
}
rolling "roll" {
  nodes = [node.FS1]
  step "approve" "g" {
    message = each.nod.name # ERROR: Unsupported attribute
  }
}
