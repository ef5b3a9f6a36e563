# ERROR: Missing runbook block # ERROR: Missing cluster block
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
