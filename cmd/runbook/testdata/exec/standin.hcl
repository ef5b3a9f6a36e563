# The exec runbook of cmd/runbook's exec tests (cmd_run_exec_test.go): the
# reference procedure (runbooks/netware65-rolling-upgrade.hcl) driven through the exec driver against the
# stand-in cluster manager (internal/standin), which the tests build and name
# in var.standin (RUNBOOK_VAR_standin). The stand-in finds its state in
# $STANDIN_DIR, which the commands inherit from the runbook process.
# Timeouts are variables so that a test can make them seconds.

runbook "standin" {
  description = "Rolling upgrade of the stand-in's CL1 from 6.0 to 6.5"
  version     = "1.0.0"
}

variable "standin" {
  type = string
}

variable "upgrade_timeout" {
  type    = string
  default = "20s"
}

variable "step_timeout" {
  type    = string
  default = "10s"
}

cluster "CL1" {
  driver = "exec"

  exec {
    poll            = "50ms"
    status          = [var.standin, "status"]
    install_license = [var.standin, "license", "add", license.product, license.version]
    leave           = [var.standin, "leave", node.name]
    upgrade         = [var.standin, "upgrade", node.name, to]
    migrate         = [var.standin, "migrate", resource.name, node.name]
    offline         = [var.standin, "offline", resource.name]
    online          = [var.standin, "online", resource.name, node.name]
    media_upgrade   = "'${var.standin}' media-upgrade ${node.name}"
    media_refresh   = [var.standin, "media-refresh", node.name]
  }
}

node "FS1" {
  address = "127.0.0.1"
  version = "6.0"
}

node "FS2" {
  address = "127.0.0.1"
  version = "6.0"
}

node "FS3" {
  address = "127.0.0.1"
  version = "6.0"
}

resource "POOL1_SERVER" {
  shared    = true
  preferred = [node.FS1, node.FS2, node.FS3]
  failback  = "auto"
}

resource "POOL2_SERVER" {
  shared    = true
  preferred = [node.FS2, node.FS3, node.FS1]
  failback  = "manual"
}

resource "WEB" {
  preferred = [node.FS3, node.FS1, node.FS2]
}

license "ncs65" {
  product   = "NetWare 6.5 Cluster Server"
  version   = "6.5"
  seats     = 3
  min_nodes = 3
}

step "install-license" "ncs65" {
  license = license.ncs65
  timeout = var.step_timeout
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2, node.FS3]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = "6.5"
    timeout = var.upgrade_timeout
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = var.step_timeout
  }
}

step "exec" "backup" {
  command = ["sh", "-c", "echo backup of the cluster configuration taken"]
  timeout = var.step_timeout
}

step "approve" "media" {
  message = "Upgrade the shared media? Every pool goes offline until it is done."
}

step "media-upgrade" "pools" {
  on      = node.FS1
  timeout = var.upgrade_timeout
}
