package awaitfailback

import (
	"fmt"

	"github.com/runbookhq/runbook/steps"
)

var (
	_ steps.Provider = Type{}
	_ steps.Ordered  = Type{}
)

// Provides: failback awaited on the node (any node, when it is not known).
func (Type) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	if n := in.Args.Node("node").Name; n != "" {
		return append(facts, steps.Fact{Name: steps.FactFailbackAwaited, Key: n})
	}
	return append(facts, steps.Fact{Name: steps.FactFailbackAwaited, Any: true})
}

// Before: failback is awaited on a node after its upgrade (R5).
func (Type) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	n := in.Args.Node("node").Name
	if n == "" || o.First(steps.FactUpgraded, n) >= 0 || o.AnyAt(steps.FactUpgraded) >= 0 {
		return steps.Verdict{}
	}
	return steps.Verdict{Supersedes: true, Problems: []steps.Problem{{Rule: "R5", Attr: "node", Summary: "Failback awaited before upgrade",
		Detail: fmt.Sprintf("No earlier step upgrades node %s, so nothing has failed over from it to fail back. Move this step after the step that upgrades %s, or remove it.", n, n)}}}
}
