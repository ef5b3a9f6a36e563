runbook "r" {}
cluster "c" {} # ERROR: No nodes declared
