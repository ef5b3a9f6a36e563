# A runbook whose runs keep their state in etcd, unless --state or
# RUNBOOK_STATE says otherwise.
runbook "state-etcd" {}

state "etcd" {
  endpoints = ["10.0.0.5:2379", "10.0.0.6:2379", "10.0.0.7:2379"]
  prefix    = "/runbook/CL1"
  ca_file   = "tls/ca.pem"
  cert_file = "/etc/runbook/client.pem"
  key_file  = "/etc/runbook/client-key.pem"
}

cluster "CL1" {}

node "A" {
  address = "10.0.0.1"
  version = "6.0"
}

step "upgrade-node" "a" {
  node = node.A
  to   = "6.5"
}
