package main

import (
	"context"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/runtime"
	"github.com/spf13/cobra"
)

func (a *app) planCommand() *cobra.Command {
	var args planArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "plan [flags] PATH",
		Short: "Show the steps in order with their predicted effects, durations and downtime",
		Long: `Plan runs the runbook's steps on a fresh simulator of the declared cluster,
with the runbook's simulated durations and no faults, and prints each step
with its predicted effects (which resource moves where, which node comes back
at which version), its predicted duration, and each resource's predicted
downtime. It never touches the cluster, and never runs a step that changes
no cluster state: it neither asks the operator (approve) nor runs a local
command (exec), and shows such a step with no cluster effect.

Once a run has journaled steps in the state directory (the run's default,
or --state DIR; --driver as for run), plan shows what a resumed run has
left: it starts at the first step not done, says how an earlier run left
each step it lists (in doubt, failed: what the run settles first and what it
waits for), and predicts times and downtime from there. A fresh state
directory, or none, shows the whole runbook.

With --driver pacemaker, plan also reads the live cluster, as run does
before its first step: each declared failback against the resource's
stickiness, and, for each node the runbook upgrades, where Pacemaker would
run its resources when it leaves (location constraints, operator bans,
stickiness) against their preferred lists. It changes nothing.

Exit status: 0 the plan runs to the end, 1 invalid runbook, a step that
fails in the simulation, or a live check that fails, 2 usage error.`,
		Example: `  runbook plan runbooks/netware65-rolling-upgrade.hcl
  runbook plan --json --var target_version=6.5.8 upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.plan(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

func (a *app) plan(args *planArgs) int {
	setCollector()
	loaded := offWhileLoading()
	rb, diags := a.loadRunbookDiags(args.Path, args.Vars, true, nil)
	loaded()
	if rb == nil {
		if args.View == viewJSON {
			(&validateJSON{w: a.stdout}).Results(nil, diags)
		}
		return exitFailed
	}
	rrb := runtimeRunbook(rb)
	res := a.predict(rb, rrb)
	driver := args.Driver
	if driver == "" {
		driver = rb.Driver
	}
	kind, err := a.driverKind(rb, driver)
	var store runtime.Store
	if err == nil {
		store, err = a.openState(args.State, rb, driver)
	}
	var rp *resumePoint
	if err == nil {
		rp, err = readResume(store, rrb)
	}
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	if rp != nil {
		a.predictBefore(rb, rrb, rp)
	}
	code := a.planView(args.View, rp).Plan(rb, rrb, res)
	if pf, ok := kind.(drivers.Preflighter); ok && args.Driver != "" {
		// The live check a run makes before its first step.
		o, err := a.opening(kind, rb, nil, nil)
		agreed := ""
		if err == nil {
			agreed, err = pf.Preflight(context.Background(), o)
		}
		if !a.messages().Preflight(agreed, err) {
			return exitFailed
		}
	}
	return code
}
