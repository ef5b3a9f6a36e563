// Package builtin lists the built-in kinds of driver. Only the command line
// calls it; the language receives the registry it returns.
package builtin

import (
	"github.com/runbookhq/runbook/drivers"
	execdriver "github.com/runbookhq/runbook/drivers/exec"
	"github.com/runbookhq/runbook/drivers/pacemaker"
	"github.com/runbookhq/runbook/drivers/sim"
)

// Registry returns the built-in kinds; the simulator is the default.
func Registry() drivers.Registry {
	return drivers.NewRegistry(sim.Kind{}, execdriver.Kind{}, pacemaker.Kind{})
}
