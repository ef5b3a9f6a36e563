# A step with a missing argument is left out of the abstract run: no
# finding follows from the value it does not have.
runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
step "upgrade-node" "u" { # ERROR: Missing required argument
  node = node.FS1
}
step "media-upgrade" "m" { # ERROR: Missing required argument
}
