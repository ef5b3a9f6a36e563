// Package cluster is the model of a cluster that every layer shares: the
// cluster as a runbook declares it ([Cluster], [Node], [Resource],
// [License]), the cluster as a driver reports it ([Status]), what a driver
// can do to it ([Driver], its operations and their [Command]s), the time it
// runs in ([Clock]), and how to wait for a condition on it ([WaitFor]).
//
// It knows nothing of step types, HCL files, journals or terminals: step
// types (package steps) act on a cluster through this model, drivers
// (packages under drivers/) implement it.
package cluster
