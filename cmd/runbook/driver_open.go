package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime/redact"
	"github.com/runbookhq/runbook/runtime/report"
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

// openingAhead is what a run makes ahead, on goroutines of their own while
// validate's abstract run goes on, of what it will need once the runbook is
// found valid: the part of the driver's opening that its kind does ahead
// (drivers.Preparer; for a rehearsal, the simulated cluster as declared),
// and the input and builder of the live report of a run that may be its
// own plan.
type openingAhead struct {
	kind drivers.Kind
	done chan any
	// live receives the live report's input and builder: none (a zero
	// liveStart) when the run cannot be its own plan.
	live chan liveStart
}

// liveStart is the input and builder a live report starts with.
type liveStart struct {
	in *report.Input
	b  *report.Builder
}

// prepareRun starts, for a run of rb with args, the work of its opening
// that depends only on the runbook, on one goroutine (the abstract run
// keeps the other processor): the driver's, then the live report's. It
// reads only the runbook, so that it may start before the runbook is found
// valid (lang.Options.Decoded): what it makes is used only once the run
// opens.
func (a *app) prepareRun(rb *lang.Runbook, args *runArgs) *openingAhead {
	kind, err := a.driverKind(rb, args.Driver)
	if err != nil {
		return nil
	}
	ah := &openingAhead{}
	var opening func() any
	if p, ok := kind.(drivers.Preparer); ok {
		opening = p.Prepare(drivers.Opening{Cluster: rb.Cluster, Config: rb.Block(kind.Name()), Dir: rb.Dir, Faults: args.Faults})
		ah.kind, ah.done = kind, make(chan any, 1)
	}
	// The report's input is made as startLiveReport would, if the run may
	// be its own plan as far as the runbook and the flags tell (with a
	// journal to resume, it is not, and this is not used); none comes on
	// live (a zero liveStart) otherwise.
	ah.live = make(chan liveStart, 1)
	go func() {
		if opening != nil {
			ah.done <- opening()
		}
		if redact.New(rb.Secrets()) != nil {
			ah.live <- liveStart{}
			return
		}
		rrb := runtimeRunbook(rb)
		if !a.planLater(args, rrb, kind, nil) {
			ah.live <- liveStart{}
			return
		}
		in := declaredInput(rb, rrb, nil)
		ah.live <- liveStart{in, report.NewBuilder(in)}
	}()
	return ah
}

// take waits for what was made ahead for kind, and returns it; nil for
// another kind, or when nothing was.
func (ah *openingAhead) take(kind drivers.Kind) any {
	if ah == nil || ah.kind == nil || ah.kind.Name() != kind.Name() {
		return nil
	}
	return <-ah.done
}

// liveReport returns the channel the live report's input and builder made
// ahead come on (none, when they come as a zero liveStart); nil when there
// is nothing ahead.
func (ah *openingAhead) liveReport() <-chan liveStart {
	if ah == nil {
		return nil
	}
	return ah.live
}

// redactor hides the runbook's sensitive values for a driver.
type redactor struct{ r *redact.Redactor }

func (r redactor) String(s string) string { return r.r.String(s) }

func (r redactor) Writer(w io.Writer) (io.Writer, func() error) {
	hw := r.r.NewWriter(w)
	return hw, hw.Flush
}
