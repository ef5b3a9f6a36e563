# A rolling upgrade of a live three-node Pacemaker 2.1 + Corosync 3 cluster:
# the test harness's cluster (internal/pacemaker/harness), which its
# end-to-end test (drivers/pacemaker/e2e) rolls with this runbook.
#
# Per node: standby (its resources fail over along their location scores),
# stop, upgrade (the harness's version marker), start, rejoin, unstandby,
# and await failback: the resources with resource-stickiness 0 come home by
# themselves, the INFINITY ones are moved home. Then the schema raise
# (cibadmin --upgrade), the counterpart of the media upgrade (R7).
#
# Rehearse it with `runbook run --driver sim`; run it against a harness
# cluster with --var harness_dir=DIR --var pcmkctl=PATH.

runbook "pacemaker-rolling-upgrade" {
  description = "Rolling upgrade of the harness's three-node Pacemaker cluster"
  version     = "1.0.0"
}

variable "harness_dir" {
  type        = string
  default     = "/tmp/runbook-pcmk-cluster"
  description = "The directory of the running harness cluster (harness.Cluster.Dir)."
}

variable "pcmkctl" {
  type        = string
  default     = "pcmkctl"
  description = "The pcmkctl program (internal/pacemaker/harness/pcmkctl) that upgrades a node."
}

variable "from_version" {
  type    = string
  default = "1.0"
}

variable "target_version" {
  type    = string
  default = "2.0"
}

cluster "harness" {
  driver = "pacemaker"

  # What a rehearsal (--driver sim) assumes, from the harness's measurements
  # (../shared/PACEMAKER.md): standby and a move take a fraction of a second,
  # a graceful stop about 5 s, a start and rejoin about 3 s; the schema step
  # keeps the shared resources down about 3 s (stop, schema, refresh, start).
  sim {
    leave         = "300ms"
    migrate       = "300ms"
    upgrade       = "5s"
    reboot        = "3s"
    media_upgrade = "2s"
    media_refresh = "1s"
  }

  pacemaker {
    poll = "250ms"
    # Pacemaker's tools need the node's network, mount and UTS namespaces together.
    prefix = [
      "nsenter",
      "--net=${var.harness_dir}/ns/${node.name}.net",
      "--mount=${var.harness_dir}/ns/${node.name}.mnt",
      "--uts=${var.harness_dir}/ns/${node.name}.uts",
      "--",
    ]
    version = ["cat", "/var/lib/pacemaker/runbook-version"]
    # Runs here: graceful stop, version marker, start; returns once the node is online.
    upgrade = [var.pcmkctl, var.harness_dir, "upgrade", node.name, to]
  }
}

node "n1" {
  address = "10.213.0.11"
  version = var.from_version
}

node "n2" {
  address = "10.213.0.12"
  version = var.from_version
}

node "n3" {
  address = "10.213.0.13"
  version = var.from_version
}

# The preferred lists follow the location scores (300, 200, 100); failback
# follows resource-stickiness (0 auto, INFINITY manual), which the pacemaker
# driver checks before the run.
resource "rA" {
  shared    = true
  preferred = [node.n1, node.n2, node.n3]
  failback  = "auto"
}

resource "rB" {
  shared    = true
  preferred = [node.n2, node.n3, node.n1]
  failback  = "manual"
}

resource "rC" {
  shared    = true
  preferred = [node.n3, node.n1, node.n2]
  failback  = "auto"
}

# rD is not on the shared media: the media step leaves it running, and its
# refresh touches only rA, rB and rC.
resource "rD" {
  shared    = false
  preferred = [node.n1, node.n3, node.n2]
  failback  = "manual"
}

rolling "upgrade" {
  nodes = [node.n1, node.n2, node.n3]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target_version
    timeout = "2m"
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "1m"
  }
}

step "media-upgrade" "schema" {
  on      = node.n1
  timeout = "2m"
}
