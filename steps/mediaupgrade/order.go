package mediaupgrade

import (
	"fmt"

	"github.com/runbookhq/runbook/steps"
)

var (
	_ steps.Provider = Type{}
	_ steps.Ordered  = Type{}
)

// Provides: the media upgraded.
func (Type) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	return append(facts, steps.Fact{Name: steps.FactMediaUpgraded})
}

// Before: the media are upgraded once (R7). After an upgrade refused by its
// own checks, the model went on with that upgrade's effect: what this
// step's checks say about the nodes' versions (its problems about the step
// as a whole) follows from the error already reported.
func (Type) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	if prev := o.First(steps.FactMediaUpgraded, ""); prev >= 0 {
		ref := o.Step(prev)
		return steps.Verdict{Supersedes: true, Problems: []steps.Problem{{Rule: "R7", Summary: "Media upgraded twice",
			Detail: fmt.Sprintf("The media are already upgraded by step %s at %s; they are upgraded once, at the end. Remove this step.", ref.Address, ref.Where)}}}
	}
	if o.Refused(steps.FactUpgraded) {
		return steps.Verdict{Silence: func(pr steps.Problem) bool { return pr.Attr == "" }}
	}
	return steps.Verdict{}
}
