# An eight-node cluster rolled in a chosen order, with simulated timings, a
# mix of automatic and manual failback, and resources that are not on
# shared storage.

runbook "large-cluster" {
  description = "Rolling upgrade of the eight-node cluster CL8 to NetWare 6.5 SP8"
  version     = "2.1.0"
}

variable "target_version" {
  type        = string
  default     = "6.5.8"
  description = "The version every node ends at."
}

variable "upgrade_timeout" {
  type    = string
  default = "1h"
}

locals {
  # The nodes in the order of the roll: the least loaded first.
  roll_order = [node.N8, node.N7, node.N6, node.N5, node.N4, node.N3, node.N2, node.N1]
}

cluster "CL8" {
  driver = "sim"

  # How long each operation takes on the simulator's virtual clock.
  sim {
    upgrade       = "35m"
    reboot        = "6m"
    migrate       = "8s"
    media_upgrade = "20m"
  }
}

node "N1" {
  address = "10.80.0.1"
  version = "6.0"
}

node "N2" {
  address = "10.80.0.2"
  version = "6.0"
}

node "N3" {
  address = "10.80.0.3"
  version = "6.0"
}

node "N4" {
  address = "10.80.0.4"
  version = "6.0"
}

node "N5" {
  address = "10.80.0.5"
  version = "6.0"
}

node "N6" {
  address = "10.80.0.6"
  version = "6.0"
}

node "N7" {
  address = "10.80.0.7"
  version = "6.0"
}

node "N8" {
  address = "10.80.0.8"
  version = "6.0"
}

resource "USERS_SERVER" {
  shared      = true
  preferred   = [node.N1, node.N2, node.N3]
  load_script = "nss /poolactivate=USERS\nmount USERS"
}

resource "GROUPS_SERVER" {
  shared      = true
  preferred   = [node.N2, node.N3, node.N1]
  load_script = "nss /poolactivate=GROUPS\nmount GROUPS"
}

# The mail store: the administrators move it back themselves, outside
# business hours (await-failback does it during the run).
resource "MAIL_SERVER" {
  shared      = true
  preferred   = [node.N3, node.N4]
  failback    = "manual"
  load_script = "nss /poolactivate=MAIL\nmount MAIL\nload gwpoa"
}

resource "ARCHIVE_SERVER" {
  shared      = true
  preferred   = [node.N4, node.N5, node.N6]
  load_script = "nss /poolactivate=ARCHIVE\nmount ARCHIVE"
}

resource "DB_SERVER" {
  shared      = true
  preferred   = [node.N5, node.N6]
  failback    = "manual"
  load_script = "nss /poolactivate=DB\nmount DB\nload dbsrv"
}

resource "WEB_SERVER" {
  shared      = true
  preferred   = [node.N6, node.N7, node.N8]
  load_script = "nss /poolactivate=WEB\nmount WEB\nload apache2"
}

# Not on shared storage: no part in the media upgrade.
resource "PRINT_SERVER" {
  preferred   = [node.N7, node.N8]
  load_script = "load iprntsrv"
}

resource "DHCP_SERVER" {
  preferred   = [node.N8, node.N7, node.N1]
  failback    = "manual"
  load_script = "load dhcpsrvr"
}

license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5" # covers 6.5.8
  seats   = length(node)
  # min_nodes defaults to 3
}

step "install-license" "ncs65" {
  license = license.ncs65
}

rolling "upgrade" {
  nodes = local.roll_order

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target_version
    timeout = var.upgrade_timeout
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "15m"
  }
}

step "media-upgrade" "pools" {
  on      = node.N1
  timeout = "3h"
}
