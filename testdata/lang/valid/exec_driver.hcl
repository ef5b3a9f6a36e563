# A runbook for a real cluster: every operation is a command.
runbook "exec-cluster" {
  description = "Two-node cluster driven through ncs-admin"
}

variable "admin" {
  type    = string
  default = "/usr/sbin/ncs-admin"
}

cluster "CL2" {
  driver = "exec"
  exec {
    poll            = "5s"
    command_timeout = "50m"
    status          = [var.admin, "status", "--json"]
    install_license = [var.admin, "license", "add", license.product, license.version]
    leave           = "ssh root@${node.address} cluster leave"
    upgrade         = ["ssh", "root@${node.address}", "/opt/upgrade", to]
    migrate         = [var.admin, "migrate", resource.name, node.name]
    offline         = [var.admin, "offline", resource.name]
    online          = [var.admin, "online", resource.name, node.name]
    media_upgrade   = "ssh root@${node.address} media-upgrade"
    media_refresh   = "ssh root@${node.address} media-refresh"
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

  step "await-failback" "failback" {
    node = each.node
  }
}

step "approve" "media" {
  message = "Upgrade the media of ${length(resource)} shared resource(s)?"
}

step "media-upgrade" "media" {
  on = node.B
}
