runbook "r" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
step "approve" "ok" {
  message    = "Go on?"
  on_failure = "continue"
}
step "upgrade-node" "u" {
  node       = node.FS1
  to         = "6.5"
  on_failure = "continue" # ERROR: Invalid on_failure
}
step "approve" "typo" {
  message    = "Go on?"
  on_failure = "ignore" # ERROR: Unsupported value
}
