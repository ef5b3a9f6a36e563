runbook "r" {}
cluster "c" {
  driver = "exec"
  exec { # ERROR: Missing status command
    poll    = "2 seconds" # ERROR: Invalid duration
    leave   = "ssh root@${node.adress} cluster leave" # ERROR: Unsupported attribute
    upgrade = ["ssh", "root@${node.address}", "/opt/upgrade", to]
    migrate = "ncs-admin migrate ${resource.name} ${to}" # ERROR: Invalid reference in command
    offline = ["ncs-admin", "offline", resource] # ERROR: Invalid command
    online  = [] # ERROR: Invalid command
    restart = "reboot" # ERROR: Unsupported argument
    in_doubt_exit_codes = [255, 256] # ERROR: Invalid exit codes
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
