// Package builtin lists the built-in step types. Only the command line
// calls it; the language and the runtime receive the registry it returns.
package builtin

import (
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/approve"
	"github.com/runbookhq/runbook/steps/awaitfailback"
	"github.com/runbookhq/runbook/steps/execstep"
	"github.com/runbookhq/runbook/steps/installlicense"
	"github.com/runbookhq/runbook/steps/mediaupgrade"
	"github.com/runbookhq/runbook/steps/upgradenode"
)

// Registry returns every built-in step type by name.
func Registry() steps.Registry {
	types := []steps.Type{
		installlicense.Type{},
		upgradenode.Type{},
		awaitfailback.Type{},
		mediaupgrade.Type{},
		approve.Type{},
		execstep.Type{},
	}
	r := make(steps.Registry, len(types))
	for _, t := range types {
		r[t.Name()] = t
	}
	return r
}
