# An exec runbook whose exec block lacks operations its steps issue: the run
# would fail half-way (for online: with every shared pool offline).
runbook "exec-missing-ops" {}

cluster "CL2" {
  driver = "exec"
  exec {
    status        = "ncs-admin status --json"
    leave         = "ssh root@${node.address} cluster leave"
    upgrade       = ["ssh", "root@${node.address}", "/opt/upgrade", to]
    offline       = "ncs-admin offline ${resource.name}"
    media_upgrade = "ssh root@${node.address} media-upgrade"
    media_refresh = "ssh root@${node.address} media-refresh"
  }
}

node "A" {
  address = "192.168.1.10"
  version = "6.0"
}

node "B" {
  address = "192.168.1.11"
  version = "6.0"
}

resource "DATA" {
  shared    = true
  preferred = [node.A, node.B]
  failback  = "manual"
}

rolling "both" {
  nodes = [node.A, node.B]

  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }

  step "await-failback" "failback" { # ERROR: Operation not declared
    node = each.node
  }
}

step "media-upgrade" "media" { # ERROR: Operation not declared
  on = node.B
}
