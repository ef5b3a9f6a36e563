# Rolling upgrade of an OES (Open Enterprise Server) cluster running Novell
# Cluster Services, from OES 23.4 to OES 24.4, driven through the exec driver.
#
# Every cluster operation is an NCS command run over SSH as root: `cluster
# leave` on the node that leaves, `cluster migrate`, `cluster offline` and
# `cluster online` on the admin node (any node of the cluster will do). The
# commands are lists (argv, no shell, so no quoting can go wrong): each
# element reaches ssh as one word, and ssh hands the words to the remote
# shell joined by spaces, so keep names free of spaces and quotes (NCS names
# are).
#
# NCS has no command that prints the status JSON the exec driver reads, so
# `status` runs a small wrapper script, scripts/ncs-status-json (sh and awk,
# beside this file; install it on the host that runs the runbook): it reads
# `cluster view`, `cluster status` and each node's /etc/novell-release over
# SSH and prints the JSON. The upgrade itself and the NSS media upgrade are
# site scripts too (/usr/local/sbin/oes-upgrade, nss-media-upgrade and
# nss-media-refresh on each node): what they must do is said beside each.
#
# OES ships the Cluster Services licences with the product, so there is no
# license block and no install-license step (the NetWare 6.5 example,
# netware65-rolling-upgrade.hcl, shows one).
#
# Rehearse it first, against the simulator:
#   runbook run --driver sim runbooks/ncs-oes.hcl
# then run it for real in the window:
#   runbook run --window 6h runbooks/ncs-oes.hcl
# Every command, its output and its exit status are logged to exec.log in the
# state directory (.runbook/ncs-oes-rolling-upgrade/ beside this file).

runbook "ncs-oes-rolling-upgrade" {
  description = "Rolling upgrade of the OES cluster CL1 from OES 23.4 to OES 24.4 (Novell Cluster Services)"
  version     = "1.0.0"
}

variable "target_version" {
  type        = string
  default     = "24.4"
  description = "The OES version the nodes are upgraded to, as /etc/novell-release's VERSION says it."
}

variable "admin_node" {
  type        = string
  default     = "10.10.0.11"
  description = "The address of the node the cluster-wide commands (cluster migrate, offline, online, status) run on."
}

variable "notify" {
  type        = list(string)
  default     = ["echo"]
  description = "The command that tells the team before the planned downtime, given the message as its last argument; for example [\"/usr/local/bin/notify-ops\", \"#storage\"]."
}

cluster "CL1" {
  driver = "exec"

  exec {
    poll = "5s"

    # scripts/ncs-status-json -m MEDIA ADMIN NODE=ADDRESS...: prints
    # {"nodes": {...}, "resources": {...}, "licenses": [], "media_version": "..."}.
    # MEDIA is the media version until nss-media-upgrade records the new
    # one: the version the nodes run before the roll.
    status = ["ncs-status-json", "-m", "23.4", var.admin_node, "FS1=10.10.0.11", "FS2=10.10.0.12", "FS3=10.10.0.13"]

    # The node leaves the cluster; NCS fails its resources over in the order
    # of their preferred nodes.
    leave = ["ssh", "-o", "BatchMode=yes", "root@${node.address}", "cluster", "leave"]

    # Site script: runs the OES migration to `to` non-interactively
    # (zypper migration, then yast2 oes-upgrade), then reboots; the node
    # rejoins by itself. It must return once the reboot is under way.
    upgrade = ["ssh", "-o", "BatchMode=yes", "root@${node.address}", "/usr/local/sbin/oes-upgrade", to]

    migrate = ["ssh", "-o", "BatchMode=yes", "root@${var.admin_node}", "cluster", "migrate", resource.name, node.name]
    offline = ["ssh", "-o", "BatchMode=yes", "root@${var.admin_node}", "cluster", "offline", resource.name]

    # Runs the resource's load script on the node.
    online = ["ssh", "-o", "BatchMode=yes", "root@${var.admin_node}", "cluster", "online", resource.name, node.name]

    # Site scripts: upgrade the media format of every shared NSS pool and
    # volume from this node (nsscon's /ZLSSUpgradeCurrentVolumeMediaFormat
    # for each volume), then record the new version where ncs-status-json
    # reads it (/etc/opt/novell/ncs/media-version, and media-read on this
    # node); on every other node, re-read the pools (nlvm rescan) and record
    # the version read in its /etc/opt/novell/ncs/media-read, so that a
    # resumed media upgrade knows which nodes are left.
    media_upgrade = ["ssh", "-o", "BatchMode=yes", "root@${node.address}", "/usr/local/sbin/nss-media-upgrade", var.target_version]
    media_refresh = ["ssh", "-o", "BatchMode=yes", "root@${node.address}", "/usr/local/sbin/nss-media-refresh"]
  }
}

node "FS1" {
  address = "10.10.0.11"
  version = "23.4"
}

node "FS2" {
  address = "10.10.0.12"
  version = "23.4"
}

node "FS3" {
  address = "10.10.0.13"
  version = "23.4"
}

resource "DATA_POOL_SERVER" {
  shared      = true
  preferred   = [node.FS1, node.FS2, node.FS3]
  failback    = "auto"
  load_script = "nss /poolact=DATA\nncpcon mount DATA=254\nadd_secondary_ipaddress 10.10.0.21"
}

resource "HOME_POOL_SERVER" {
  shared      = true
  preferred   = [node.FS2, node.FS3, node.FS1]
  failback    = "manual"
  load_script = "nss /poolact=HOME\nncpcon mount HOME=253\nadd_secondary_ipaddress 10.10.0.22"
}

resource "IPRINT_SERVER" {
  preferred = [node.FS3, node.FS1, node.FS2]
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2, node.FS3]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target_version
    timeout = "1h"
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "10m"
  }
}

# Tell the team before the only planned downtime of the procedure (R7). A
# notification that fails does not stop the upgrade.
step "exec" "notify" {
  command    = concat(var.notify, ["CL1: every node runs OES ${var.target_version}; the shared pools go offline for the NSS media upgrade now"])
  timeout    = "1m"
  on_failure = "continue"
}

# The point of no return: from here every shared pool is offline until its
# media are upgraded, and the old version can no longer read them.
step "approve" "media-upgrade" {
  message = "Every node runs OES ${var.target_version}. Take every shared pool offline and upgrade the NSS media from FS1? The pools stay offline until it is done, and OES 23.4 can no longer mount them."
}

step "media-upgrade" "pools" {
  on      = node.FS1
  timeout = "2h"
}
