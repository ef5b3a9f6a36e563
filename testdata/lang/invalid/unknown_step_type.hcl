runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
step "upgrade-nodes" "u" { # ERROR: Unsupported step type
  node = node.FS1
  to   = "6.5"
}
rolling "roll" {
  nodes = [node.FS1]
  step "reboot" "r" { # ERROR: Unsupported step type
  }
}
