# Rolling upgrade of an OES / NetWare Novell Cluster Services cluster from
# 6.0 to 6.5, driven through the exec driver.
#
# As written, every command goes to the stand-in cluster manager of the
# tests (internal/standin in the module): build it with
#   go build -o "$BIN/standin" ./internal/standin
# put $BIN on PATH, set STANDIN_DIR to a fresh directory and run
#   standin init cluster.json
# with the nodes, resources and licences below (standincheck.Description).
# For a real cluster, replace each command by its cluster manager's own, as
# the comment beside it suggests; keep the argv form (a list) where you can:
# it runs with no shell, so no quoting can go wrong.

runbook "ncs-rolling-upgrade" {
  description = "Rolling upgrade of CL1 from NetWare 6 to NetWare 6.5 (Novell Cluster Services)"
  version     = "1.0.0"
}

variable "target_version" {
  type    = string
  default = "6.5"
}

cluster "CL1" {
  driver = "exec"

  exec {
    poll = "2s"

    # Prints {"nodes": {...}, "resources": {...}, "licenses": [...], "media_version": "..."}.
    # Real cluster: a wrapper around `cluster status` / `cluster view` that prints this JSON.
    status = ["standin", "status"]

    # Real cluster: the licence install of the cluster's management tool.
    install_license = ["standin", "license", "add", license.product, license.version]

    # Real cluster: ["ssh", "root@${node.address}", "cluster", "leave"]
    leave = ["standin", "leave", node.name]

    # Installs `to` and reboots; the node rejoins by itself.
    # Real cluster: ["ssh", "root@${node.address}", "/opt/upgrade", to]
    upgrade = ["standin", "upgrade", node.name, to]

    # Real cluster: ["ssh", "root@${node.address}", "cluster", "migrate", resource.name, node.name]
    migrate = ["standin", "migrate", resource.name, node.name]

    # Real cluster: ["cluster", "offline", resource.name]
    offline = ["standin", "offline", resource.name]

    # Runs the resource's load script on the node.
    # Real cluster: ["cluster", "online", resource.name, node.name]
    online = ["standin", "online", resource.name, node.name]

    # Real cluster: ["ssh", "root@${node.address}", "media-upgrade"]
    media_upgrade = ["standin", "media-upgrade", node.name]

    # Real cluster: ["ssh", "root@${node.address}", "media-refresh"]
    media_refresh = ["standin", "media-refresh", node.name]
  }
}

node "FS1" {
  address = "10.10.0.11"
  version = "6.0"
}

node "FS2" {
  address = "10.10.0.12"
  version = "6.0"
}

node "FS3" {
  address = "10.10.0.13"
  version = "6.0"
}

resource "POOL1_SERVER" {
  shared      = true
  preferred   = [node.FS1, node.FS2, node.FS3]
  failback    = "auto"
  load_script = "nss /poolactivate=POOL1\nmount VOL1"
}

resource "POOL2_SERVER" {
  shared      = true
  preferred   = [node.FS2, node.FS3, node.FS1]
  failback    = "manual"
  load_script = "nss /poolactivate=POOL2\nmount VOL2"
}

resource "WEB" {
  preferred = [node.FS3, node.FS1, node.FS2]
}

license "ncs65" {
  product   = "NetWare 6.5 Cluster Server"
  version   = var.target_version
  seats     = 3
  min_nodes = 3
}

step "install-license" "ncs65" {
  license = license.ncs65
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2, node.FS3]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = var.target_version
    timeout = "45m"
  }

  step "await-failback" "failback" {
    node    = each.node
    timeout = "10m"
  }
}

step "media-upgrade" "pools" {
  on      = node.FS1
  timeout = "30m"
}
