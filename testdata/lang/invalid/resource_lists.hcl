runbook "r" {}
cluster "c" {
  sim {
    leave = "5s"
  }
  sim { # ERROR: Duplicate sim block
    leave = "6s"
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
resource "EMPTY" {
  preferred = [] # ERROR: Empty node list
}
resource "TWICE" {
  preferred = [node.FS1, node.FS1] # ERROR: Duplicate node in list
}
