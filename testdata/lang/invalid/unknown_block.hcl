runbook "r" {}
cluster "c" {
  simulator { # ERROR: Unsupported block type
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
nodes "FS2" { # ERROR: Unsupported block type
}
step "upgrade-node" "u" {
  node = node.FS1
  to   = "6.5"
  settings {} # ERROR: Unsupported block type
}
