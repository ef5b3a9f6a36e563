# A bad value in a variable's default (or a local's expression) is
# reported there, once, not at each of its uses.
runbook "r" {}
variable "target" {
  type    = string
  default = "6.x" # ERROR: Invalid version
}
variable "wait" {
  default = "10 minutes" # ERROR: Invalid duration
}
locals {
  policy = "carry-on" # ERROR: Unsupported value
  to     = var.target
}
cluster "c" {}
node "A1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "A2" {
  address = "10.0.0.2"
  version = "6.0"
}
rolling "roll" {
  nodes = [node.A1, node.A2]
  step "upgrade-node" "u" {
    node    = each.node
    to      = local.to
    timeout = var.wait
  }
  step "exec" "tell" {
    command    = "true"
    on_failure = local.policy
  }
}
node "A3" {
  address = "10.0.0.3"
  version = "6.0"
}
step "upgrade-node" "again" {
  node = node.A3
  to   = var.target
}
