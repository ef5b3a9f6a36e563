package main

import (
	"fmt"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/suggest"
)

// driverArg is a command's --driver flag: "" means the runbook's own
// driver; the kinds it may name are the registry's.
type driverArg struct {
	// Driver is --driver.
	Driver string
	kinds  drivers.Registry
}

// checkDriver checks --driver against the registry.
func (d *driverArg) checkDriver() error {
	if d.Driver == "" {
		return nil
	}
	if _, ok := d.kinds.Kind(d.Driver); ok {
		return nil
	}
	hint := ""
	if best := suggest.Closest(d.Driver, d.kinds.Names(), len(d.Driver)/2); best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Errorf("unknown --driver %q%s; want %s", d.Driver, hint, drivers.Either(d.kinds.Names()))
}

// simulator is the name of the kind that rehearses any runbook, for help
// texts; "" if none is registered.
func (d *driverArg) simulator() string {
	if k := d.kinds.Simulator(); k != nil {
		return k.Name()
	}
	return ""
}

// names lists the kinds, "a, b or c".
func (d *driverArg) names() string { return drivers.Either(d.kinds.Names()) }

// faultInjector returns the kind --fault injects faults with: --driver's,
// or the simulator's when --driver is not set; nil if that kind injects
// none.
func (d *driverArg) faultInjector() drivers.FaultInjector {
	name := d.Driver
	if name == "" {
		name = d.simulator()
	}
	k, _ := d.kinds.Kind(name)
	fi, _ := k.(drivers.FaultInjector)
	return fi
}

// preflightHelp names, for --driver's help, the kinds that check the live
// cluster before a plan.
func (d *driverArg) preflightHelp() string {
	var names []string
	for _, k := range d.kinds.Kinds() {
		if _, ok := k.(drivers.Preflighter); ok {
			names = append(names, k.Name())
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "; " + drivers.Either(names) + " also checks the live cluster"
}
