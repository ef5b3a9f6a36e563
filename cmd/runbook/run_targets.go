package main

import (
	"fmt"
	"slices"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/suggest"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

// didYouMean returns ` (did you mean "X"?)` for the closest candidate, or "".
func didYouMean(got string, candidates []string) string {
	best := suggest.Closest(got, candidates, len(got)/2+3)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// checkRunTargets checks what needs the loaded runbook: the --stop-after
// address and the --fault targets. Its errors are usage errors.
func checkRunTargets(args *runArgs, rb *lang.Runbook, rrb *runtime.Runbook) error {
	if args.StopAfter != "" && rrb.Index(args.StopAfter) < 0 {
		var addrs []string
		for _, s := range rrb.Steps {
			addrs = append(addrs, s.Address)
		}
		return fmt.Errorf("--stop-after %s: the runbook has no step at that address%s; `runbook plan %s` lists them", args.StopAfter, didYouMean(args.StopAfter, addrs), args.Path)
	}
	for _, addr := range args.Reissue {
		if rrb.Index(addr) < 0 {
			var addrs []string
			for _, s := range rrb.Steps {
				addrs = append(addrs, s.Address)
			}
			return fmt.Errorf("--reissue %s: the runbook has no step at that address%s; `runbook status %s` shows the steps in doubt", addr, didYouMean(addr, addrs), args.Path)
		}
	}
	var kinds []drivers.FaultKind
	if fi := args.faultInjector(); fi != nil {
		kinds = fi.Faults()
	}
	for _, f := range args.Faults {
		var names []string
		switch f.TargetKind(kinds) {
		case "node":
			for _, n := range rb.Cluster.Nodes {
				names = append(names, n.Name)
			}
		case "resource":
			for _, r := range rb.Cluster.Resources {
				names = append(names, r.Name)
			}
		case "license":
			for _, l := range rb.Cluster.Licenses {
				names = append(names, l.Name)
			}
		default:
			continue
		}
		if !slices.Contains(names, f.Target) {
			return fmt.Errorf("--fault %s: the runbook declares no %s %q%s", f, f.TargetKind(kinds), f.Target, didYouMean(f.Target, names))
		}
	}
	return nil
}

// reissueError is a --reissue that names a step with nothing in doubt: a
// usage error.
type reissueError struct{ err error }

func (e reissueError) Error() string { return e.err.Error() }
