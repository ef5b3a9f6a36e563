// Package pacemaker implements [steps.Driver] for a Pacemaker 2.1 +
// Corosync 3 cluster, with Pacemaker's own command-line tools run on the
// cluster's nodes through a [Runner] (SSH for a real cluster, the test
// harness's namespaces in the end-to-end tests).
//
// The runbook's operations map onto Pacemaker as follows:
//
//	Leave          crm_attribute: the node goes to standby; resources fail over
//	Upgrade        Config.Upgrade (stop, install, start), then standby off
//	Migrate        crm_resource --move, plus --ban of the current node, then --clear
//	Offline        crm_resource --meta target-role=Stopped
//	Online         crm_resource --move, target-role removed, then --clear
//	MediaUpgrade   cibadmin --upgrade (the CIB schema), media version recorded
//	MediaRefresh   crm_resource --refresh --node
//	InstallLicense a cluster option runbook-license-<hash> = "VERSION PRODUCT"
//	Status         crm_mon --output-as=xml, cibadmin --query, a version command per node
//
// Failover order and failback mode are the cluster's own configuration
// (location scores and resource-stickiness 0 or INFINITY); the driver
// does not change them.
//
// The package does not start or stop cluster daemons itself and never uses
// init scripts, pcs or crmsh: stopping a node's stack is Config.Upgrade's
// business.
package pacemaker
