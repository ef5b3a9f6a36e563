# Locals, functions, for expressions, when, each.index and manual failback.
runbook "features" {
  description = format("Upgrade of %d nodes", length(node))
  version     = local.version
}

variable "target" {
  type    = string
  default = "6.5.8"
  validation {
    condition     = can(regex("^6\\.", var.target)) || startswith(var.target, "6.")
    error_message = "Only 6.x targets are supported."
  }
}

variable "with_media" {
  type    = bool
  default = true
}

locals {
  version = "3.0.${length(local.order)}"
  # The roll order: every node but the home of the database first.
  order = concat([for n in node : n if n.name != local.db_home], [node[local.db_home]])
}

locals {
  db_home = resource.DB.preferred[0].name
}

cluster "CL" {
  sim {
    upgrade = "20m"
    reboot  = "3m"
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

node "FS3" {
  address = "10.0.0.3"
  version = "6.0"
}

resource "DB" {
  shared      = true
  preferred   = [node.FS2, node.FS3, node.FS1]
  failback    = "manual"
  load_script = <<-EOT
    nss /poolactivate=DB
    mount DBVOL
  EOT
}

resource "WEB" {
  preferred = [node.FS1, node.FS3]
}

license "ncs" {
  product   = "NetWare 6.5 Cluster Server"
  version   = "6.5"
  seats     = length(node)
  min_nodes = 3
}

step "install-license" "ncs" {
  license = license.ncs
}

rolling "upgrade" {
  nodes = local.order

  step "approve" "go" {
    message = "Upgrade ${each.node.name} (${each.index + 1} of ${length(local.order)})?"
    when    = each.index > 0
  }

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target
    timeout = each.index == 0 ? "1h" : "45m"
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "10m"
  }
}

step "media-upgrade" "pools" {
  on         = node[local.db_home]
  resources  = [resource.DB]
  when       = var.with_media
}
