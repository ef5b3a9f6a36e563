# A pacemaker runbook without the upgrade command its upgrade-node steps need.
runbook "pacemaker" {}

cluster "pcmk" {
  driver = "pacemaker"
  pacemaker {
    poll    = "1s"
    prefix  = ["ssh", "-o", "BatchMode=yes", "admin@${node.address}", "sudo"]
  }
}

node "n1" {
  address = "10.1.0.1"
  version = "2.1"
}

node "n2" {
  address = "10.1.0.2"
  version = "2.1"
}

resource "web" {
  preferred = [node.n1, node.n2]
}

rolling "roll" {
  nodes = [node.n2, node.n1]

  step "upgrade-node" "upgrade" { # ERROR: Operation not declared
    node = each.node
    to   = "2.2"
  }

  step "await-failback" "back" {
    node = each.node
  }
}
