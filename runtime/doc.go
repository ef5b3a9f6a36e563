// Package runtime executes a runbook's steps against a cluster driver.
//
// It runs the steps in order; for each one it reads the cluster's status,
// checks the step's preconditions, acts through the driver, verifies the
// postcondition and records the outcome in a journal. The journal lets a run
// that stopped (on purpose, on a failure or on a crash) resume where it
// stopped: completed steps are skipped, a step that was in flight is settled
// by reading the cluster (it is run again only if its postcondition does not
// hold), and the cluster is compared with what the journal expects before
// anything is done.
//
// The package also keeps the state (journal, snapshot and lock) through a
// Store, whose kinds (stores/local: a state directory) it does not know,
// and turns what it observes through the driver into events: one per change
// of the cluster, per step outcome, per stop. It knows drivers and the step
// contract of package steps; it knows nothing of HCL, of the command line or
// of terminals. The caller (cmd/runbook) loads the runbook, builds the driver
// and renders the events.
package runtime
