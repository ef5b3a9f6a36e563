// Package pacemaker implements [cluster.Driver] for a Pacemaker 2.1 +
// Corosync 3 cluster, with Pacemaker's own command-line tools run on the
// cluster's nodes through a [Runner] (SSH for a real cluster, the test
// harness's namespaces in the end-to-end tests).
//
// The runbook's operations map onto Pacemaker as follows:
//
//	Leave          checked against the CIB's scores (see PlacementError), then the
//	               node marked runbook-left and put in standby; resources fail over
//	Upgrade        Config.Upgrade (stop, install, start), then standby and mark deleted
//	Migrate        checked, then a runbook-prefer-R location constraint (INFINITY)
//	               on the node, a runbook-ban-R (-INFINITY) on the current one,
//	               both removed once moved
//	Offline        the resource marked runbook-offline=NODE with target-role=Stopped,
//	               in one change (reported as upgrade until Online)
//	Online         checked, runbook-prefer-R unless the node scores highest,
//	               target-role removed; the status read that sees it running
//	               removes the constraint and the mark
//	MediaUpgrade   cibadmin --upgrade (the CIB schema), media version recorded
//	MediaRefresh   crm_resource --refresh --resource R --node N, shared resources only
//	InstallLicense a cluster option runbook-license-<hash> = "VERSION PRODUCT"
//	Status         crm_mon --output-as=xml, cibadmin --query, a version command per node
//	Downtime       the executor's starts and stops in each node's detail log
//
// Failover order and failback mode are the cluster's own configuration
// (location scores and resource-stickiness 0 or INFINITY); the driver
// does not change them. [Preflight] compares the runbook's declared
// failback modes with the stickiness before a run.
//
// The driver touches only what it creates: its own constraints (ids starting
// with ConstraintPrefix, never crm_resource's cli-prefer and cli-ban, which
// an operator may have set), each node's standby attribute and the
// resources' target-role, all removed when no longer needed, and its
// cluster options (licences, media version).
//
// A node that is offline although neither in standby nor being upgraded
// has left the cluster without the runbook (crashed, killed, fenced):
// Status then fails with a [LostError] naming it, so that no step acts on a
// cluster with two nodes out.
//
// The package does not start or stop cluster daemons itself and never uses
// init scripts, pcs or crmsh: stopping a node's stack is Config.Upgrade's
// business.
package pacemaker
