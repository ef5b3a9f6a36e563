runbook "r" {}
cluster "c" {}
node "A" {
  address = "10.0.0.1"
  version = "6.0"
}
state "etdc" { # ERROR: Unknown state store
  endpoints = ["127.0.0.1:2379"]
  prefix    = "/runbook/c"
}
state "etcd" { # ERROR: Duplicate state block
  endpoints = ["127.0.0.1:2379"]
  prefix    = "/runbook/c"
}
