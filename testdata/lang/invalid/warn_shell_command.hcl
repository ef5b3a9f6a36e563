# String commands run under /bin/sh -c with their values quoted; validate
# warns where a variable's value goes into one, and where a whole command is
# a value (one quoted word).
runbook "r" {}

variable "admin" {
  type    = string
  default = "/usr/sbin/ncs-admin"
}

variable "token" {
  type      = string
  default   = "t0k"
  sensitive = true
}

locals {
  admin_cmd = "${var.admin} --batch"
  notify    = "logger cluster upgrade"
}

cluster "c" {
  driver = "exec"
  exec {
    status  = "${var.admin} status --json" # WARNING: Variable in a shell command
    leave   = "ssh root@${node.address} cluster leave"
    upgrade = "${local.admin_cmd} upgrade ${node.name} ${to}" # WARNING: Variable in a shell command
    migrate = [var.admin, "migrate", resource.name, node.name]
    offline = "${raw(var.admin)} offline ${resource.name}" # WARNING: Variable in a shell command
  }
}

node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}

node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}

step "exec" "notify" {
  command = local.notify # WARNING: Command is one quoted word
}

step "exec" "notify_raw" {
  command = raw(local.notify)
}

step "exec" "token" {
  command = "curl -H 'X-Token: ${var.token}' https://ops.example/notify" # WARNING: Variable in a shell command
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2]
  step "exec" "note" {
    command = "echo ${var.admin} ${each.node.name}" # WARNING: Variable in a shell command
  }
  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }
}
