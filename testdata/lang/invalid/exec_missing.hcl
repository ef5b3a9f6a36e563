runbook "r" {}
cluster "c" {
  driver = "exec" # ERROR: Missing exec block
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
