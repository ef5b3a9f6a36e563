runbook "r" {}
variable "order" {
  type = list(string)
}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
rolling "empty" {
  nodes = [] # ERROR: Empty node list
}
rolling "twice" {
  nodes = [node.FS1, node.FS2, node.FS1] # ERROR: Duplicate node in list
}
rolling "unknown" {
  nodes = [node.FS3] # ERROR: Reference to undeclared node
}
rolling "later" {
  nodes = [for n in var.order : node[n]] # ERROR: Rolling node set not known
}
rolling "names" {
  nodes = ["FS1"] # ERROR: Invalid node reference
}
