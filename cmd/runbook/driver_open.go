package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime/redact"
)

// driverKind is the kind of driver called name: --driver, or the
// runbook's own when name is "". lang and the flag checked the name against
// the same registry.
func (a *app) driverKind(rb *lang.Runbook, name string) (drivers.Kind, error) {
	if name == "" {
		name = rb.Driver
	}
	k, ok := a.drivers.Kind(name)
	if !ok {
		return nil, fmt.Errorf("unknown driver %q", name)
	}
	return k, nil
}

// opening is what kind opens with for rb: the runbook's block of that kind
// (refused if the runbook neither selects the driver nor declares its
// block, unless the kind rehearses any runbook), its steps, the state's
// store and the faults to inject.
func (a *app) opening(kind drivers.Kind, rb *lang.Runbook, store drivers.Store, faults []drivers.Fault) (drivers.Opening, error) {
	name := kind.Name()
	if !rb.Declares(name) && !drivers.Simulated(kind) {
		rehearse := ""
		if sim := a.drivers.Simulator(); sim != nil {
			rehearse = "; rehearse it with --driver " + sim.Name()
		}
		return drivers.Opening{}, fmt.Errorf("the runbook declares no %s { ... } block in its cluster block, which the %s driver needs%s", name, name, rehearse)
	}
	o := drivers.Opening{Cluster: rb.Cluster, Config: rb.Block(name), Dir: rb.Dir, Store: store,
		Redact: redactor{redact.New(rb.Secrets())}, Faults: faults, Steps: func() []drivers.Step { return driverSteps(rb) }}
	return o, nil
}

// driverSteps is the step instances of rb for a driver (Opening.Steps).
func driverSteps(rb *lang.Runbook) []drivers.Step {
	steps := slices.Grow([]drivers.Step(nil), len(rb.Steps))
	for _, s := range rb.Steps {
		steps = append(steps, drivers.Step{Instance: s.Instance, When: s.When})
	}
	return steps
}

// openDriver opens the driver of kind for a run or status of rb, keeping
// what it keeps in store, with what ahead (if not nil) made of its opening.
func (a *app) openDriver(kind drivers.Kind, rb *lang.Runbook, store drivers.Store, faults []drivers.Fault, ahead *openingAhead) (*drivers.Opened, error) {
	o, err := a.opening(kind, rb, store, faults)
	if err != nil {
		return nil, err
	}
	o.Ahead = ahead.take(kind)
	return kind.Open(context.Background(), o)
}

// openingAhead is the part of a driver's opening that its kind does ahead
// (drivers.Preparer), on a goroutine of its own while the runbook is
// validated: for a rehearsal, the simulated cluster as declared.
type openingAhead struct {
	kind drivers.Kind
	done chan any
}

// prepareOpening starts, for the driver called driver (the runbook's own
// when ""), the work its kind does ahead of its opening; nil when it does
// none. It reads only the runbook, so that it may start before the runbook
// is found valid (lang.Options.Decoded): what it makes is used only once
// the run opens the driver.
func (a *app) prepareOpening(rb *lang.Runbook, driver string, faults []drivers.Fault) *openingAhead {
	kind, err := a.driverKind(rb, driver)
	if err != nil {
		return nil
	}
	p, ok := kind.(drivers.Preparer)
	if !ok {
		return nil
	}
	work := p.Prepare(drivers.Opening{Cluster: rb.Cluster, Config: rb.Block(kind.Name()), Dir: rb.Dir, Faults: faults})
	ah := &openingAhead{kind: kind, done: make(chan any, 1)}
	go func() { ah.done <- work() }()
	return ah
}

// take waits for what was made ahead for kind, and returns it; nil for
// another kind, or when nothing was.
func (ah *openingAhead) take(kind drivers.Kind) any {
	if ah == nil || ah.kind.Name() != kind.Name() {
		return nil
	}
	return <-ah.done
}

// redactor hides the runbook's sensitive values for a driver.
type redactor struct{ r *redact.Redactor }

func (r redactor) String(s string) string { return r.r.String(s) }

func (r redactor) Writer(w io.Writer) (io.Writer, func() error) {
	hw := r.r.NewWriter(w)
	return hw, hw.Flush
}
