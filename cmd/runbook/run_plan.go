package main

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/approve"
)

// The plan of a run is a run of its steps on the runbook's model, a fresh
// simulator of the declared cluster (predictEvents). A rehearsal on a
// simulator that starts where the model does, with no faults, is that very
// run: when nothing needs the plan before the run (it
// is not shown to be confirmed, no live view shows the steps' predicted
// durations), the run does not simulate it first, and takes the plan from
// itself once it has completed. A run that ends otherwise (a signal, a
// failed step) is planned then, as it would have been before it started.

// planLater reports whether a run with the driver of kind may be its own
// plan, as far as can be told before its state and driver are open: a run
// with --auto-approve on a simulator without faults and without a view that
// shows the plan, from the start of the runbook (no journal to resume),
// through to its end (no --stop-after, --until or --window), whose steps
// either change the cluster or are approve steps (auto-approved, as the plan
// leaves them: an exec step runs a command, which the plan does not).
func (a *app) planLater(args *runArgs, rrb *runtime.Runbook, kind drivers.Kind, resume *resumePoint) bool {
	if !args.AutoApprove || (args.View != viewJSON && a.color) || !drivers.Simulated(kind) || len(args.Faults) > 0 || resume != nil ||
		args.StopAfter != "" || args.Until != nil || args.Window != 0 {
		return false
	}
	approval := approve.Type{}.Name()
	for _, s := range rrb.Steps {
		t, ok := a.registry[s.Type]
		if !ok || (!t.Mutates() && s.Type != approval) {
			return false
		}
	}
	return true
}

// startsAsModel reports whether the driver starts where the runbook's model
// does: its clock and its cluster the model's (a simulator whose state
// holds an earlier run's cluster or time does not).
func startsAsModel(drv cluster.Driver, rb *lang.Runbook) bool {
	return startsAt(drv, rb.Model())
}

// modelAhead makes the runbook's model on another goroutine, for
// startsAsModel to compare the driver with once it is open: it depends on
// the declared cluster alone, and a large cluster's takes a while.
func modelAhead(rb *lang.Runbook) <-chan cluster.Driver {
	ch := make(chan cluster.Driver, 1)
	go func() { ch <- rb.Model() }()
	return ch
}

// openedAsModel reports whether drv, just opened, starts where the
// runbook's model does: at once for a simulator that opened from the
// declared cluster, without stored state (sim.Sim.OpenedAsDeclared: its
// start is the model's), otherwise as startsAt compares them, with the
// model made ahead (modelAhead), or made now when model is nil.
func openedAsModel(drv cluster.Driver, rb *lang.Runbook, model <-chan cluster.Driver) bool {
	if d, ok := drv.(interface{ OpenedAsDeclared() bool }); ok && d.OpenedAsDeclared() {
		return true
	}
	if model == nil {
		return startsAsModel(drv, rb)
	}
	return startsAt(drv, <-model)
}

// startsAt reports whether the driver starts where the model m does.
func startsAt(drv, m cluster.Driver) bool {
	if !drv.Now().Equal(m.Now()) {
		return false
	}
	ctx := context.Background()
	st, err := drv.Status(ctx)
	if err != nil {
		return false
	}
	want, err := m.Status(ctx)
	if err != nil {
		return false
	}
	return st.MediaVersion == want.MediaVersion && maps.Equal(st.Nodes, want.Nodes) && maps.Equal(st.Resources, want.Resources) &&
		slices.Equal(st.Licenses, want.Licenses)
}

// changeRecorder keeps the change events of a run, which the plan's are
// when the run is its own plan: in chunks of changeChunk, so that a run of
// many does not copy them all each time one slice would grow.
type changeRecorder struct {
	mu     sync.Mutex
	chunks [][]runtime.Event
	// next are the next chunks, made ready on another goroutine (ready):
	// the run's own does not wait for their memory.
	next [][]runtime.Event
}

// changesAhead is how many chunks ready makes ready ahead.
const changesAhead = 2

const changeChunk = 4096

func (c *changeRecorder) record(e runtime.Event) {
	if e.Type != runtime.EventChange {
		return
	}
	c.mu.Lock()
	n := len(c.chunks)
	if n == 0 || len(c.chunks[n-1]) == cap(c.chunks[n-1]) {
		var ch []runtime.Event
		if k := len(c.next); k > 0 {
			ch, c.next = c.next[k-1], c.next[:k-1]
		} else {
			ch = make([]runtime.Event, 0, changeChunk)
		}
		c.chunks = append(c.chunks, ch)
		n++
	}
	c.chunks[n-1] = append(c.chunks[n-1], e)
	c.mu.Unlock()
}

// ready makes the next chunks ready, those that are not: their memory is
// written to once a page, so that the kernel maps it now, on the caller's
// goroutine (the live report's), rather than when the run's records the
// events.
func (c *changeRecorder) ready() {
	for {
		c.mu.Lock()
		enough := len(c.next) >= changesAhead
		c.mu.Unlock()
		if enough {
			return
		}
		ch := make([]runtime.Event, changeChunk)
		step := max(1, 4096/int(unsafe.Sizeof(runtime.Event{})))
		for i := 0; i < len(ch); i += step {
			ch[i] = runtime.Event{}
		}
		c.mu.Lock()
		c.next = append(c.next, ch[:0])
		c.mu.Unlock()
	}
}

// since returns the events recorded after the first n, in order, in the
// slices they are kept in (which later records leave as they are).
func (c *changeRecorder) since(n int) [][]runtime.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]runtime.Event
	for _, ch := range c.chunks {
		if n >= len(ch) {
			n -= len(ch)
			continue
		}
		out = append(out, ch[n:len(ch):len(ch)])
		n = 0
	}
	return out
}

// events returns the events recorded, in order.
func (c *changeRecorder) events() []runtime.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.chunks) == 1 {
		return c.chunks[0]
	}
	n := 0
	for _, ch := range c.chunks {
		n += len(ch)
	}
	out := make([]runtime.Event, 0, n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}

// planOf is the plan of a run that may be its own (planLater, startsAsModel),
// once it has ended with res: the run itself when it completed, else
// predicted now; res.LeftPredicted, which the run could not know, is then
// filled in from settled (State.Settled: whether the journal settles a step).
func (a *app) planOf(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result, changes *changeRecorder, settled func(address string) bool) *plannedRun {
	if res.Outcome == runtime.OutcomeCompleted && res.Earlier == 0 {
		return &plannedRun{res: res, changes: changes, fromRun: true}
	}
	planned := a.predictEvents(rb, rrb)
	res.LeftPredicted = leftPredicted(rrb, settled, planned.predicted())
	return planned
}

// predicted is the plan's duration of each step.
func (p *plannedRun) predicted() map[string]time.Duration {
	out := make(map[string]time.Duration, len(p.res.Steps))
	for _, s := range p.res.Steps {
		out[s.Address] = s.Duration
	}
	return out
}

// leftPredicted is Result.LeftPredicted of a run with Options.Predicted:
// the predicted duration of the steps the journal leaves unsettled (as
// settled tells), those that run.
func leftPredicted(rrb *runtime.Runbook, settled func(address string) bool, predicted map[string]time.Duration) time.Duration {
	var d time.Duration
	for _, s := range rrb.Steps {
		if !settled(s.Address) && s.When {
			d += predicted[s.Address]
		}
	}
	return d
}
