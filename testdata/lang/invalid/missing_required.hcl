runbook "r" {}
cluster "c" {}
node "FS1" { # ERROR: Missing required argument
  address = "10.0.0.1"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "R1" { # ERROR: Missing required argument
  shared = true
}
license "l" { # ERROR: Missing required argument
  version = "6.5"
}
step "upgrade-node" "u" { # ERROR: Missing required argument
  node = node.FS2
}
rolling "roll" { # ERROR: Missing required argument
  step "await-failback" "f" {
    node = each.node
  }
}
