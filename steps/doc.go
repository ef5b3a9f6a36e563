// Package steps is the contract between the runbook language, the runtime
// and the step types.
//
// It defines what a step type is ([Type]): its schema, its preconditions
// against a cluster ([Type.Check]), its postcondition ([Type.Done]) and the
// way it acts through a driver ([Type.Run]). The cluster it acts on, and the
// driver it acts through, are package cluster's.
//
// The same three functions serve validate, plan and run. `validate` and
// `plan` call them against the simulator of package drivers/sim started from the
// declared cluster; `run` calls them against the live driver. A step type
// therefore describes its effect on a cluster exactly once.
//
// The package knows nothing of HCL files, journals or terminals.
package steps
