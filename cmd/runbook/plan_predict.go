package main

import (
	"context"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

// predict runs the steps on a fresh simulator of the declared cluster, with
// the runbook's timings and no faults: the plan. Steps that do not change
// the cluster (approve, exec) are not run: they have no effect on the
// simulator, and planning must neither ask the operator nor run a local
// command.
func (a *app) predict(rb *lang.Runbook, rrb *runtime.Runbook) *runtime.Result {
	return a.predictUntil(rb, rrb, "")
}

// predictUntil is predict stopped after the step at stopAfter ("" runs to
// the end).
func (a *app) predictUntil(rb *lang.Runbook, rrb *runtime.Runbook, stopAfter string) *runtime.Result {
	s := rb.Model()
	return runtime.Run(context.Background(), rrb, runtime.Options{Registry: a.registry, Driver: s, Poll: cluster.DefaultPoll, Plan: true, StopAfter: stopAfter})
}
