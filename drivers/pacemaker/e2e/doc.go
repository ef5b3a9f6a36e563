// Package e2e rolls a live three-node Pacemaker cluster (the harness of
// internal/pacemaker/harness) with runbooks/pacemaker-rolling-upgrade.hcl
// through the runbook binary, as an operator would: a rehearsal on the
// simulator, the live run under a probe that samples crm_mon every 100 ms,
// and a run that loses a second node in the middle of an upgrade, then
// resumes. It sits apart from package pacemaker so that the driver's own
// tests do not depend on the command line.
//
// Every live-cluster test of the module takes the harness's machine-wide
// lock (harness.Require), so only one cluster runs at a time even though
// go test runs packages in parallel.
package e2e
