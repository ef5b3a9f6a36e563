runbook "r" {
  descripton = "typo" # ERROR: Unsupported argument
}
cluster "c" {
  drivr = "sim" # ERROR: Unsupported argument
  sim {
    reboots = "1m" # ERROR: Unsupported argument
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
  ram     = "4G" # ERROR: Unsupported argument
}
step "upgrade-node" "u" {
  node    = node.FS1
  to      = "6.5"
  timeot  = "45m" # ERROR: Unsupported argument
}
