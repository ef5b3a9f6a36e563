package abstract

import (
	"context"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
)

// order is the abstract run's [steps.Order]: for each fact, where it was
// first and last provided, in small maps keyed by fact and key, so that the
// whole run is linear in the number of steps.
type order struct {
	seq  []Step
	opts Options
	s    *sim.Sim
	r    Report

	pos   int
	known bool
	// incomplete is set when a step was left out of the model: its
	// arguments were not known, or it failed to decode.
	incomplete bool
	// diverged is set when a step that changes the cluster was left out:
	// the model no longer follows the runbook.
	diverged bool

	provided map[factKey]*span
	keys     map[string][]string
	anyAt    map[string]int
	// holeAt is the position of the last step that failed to decode, -1.
	holeAt  int
	refused map[string]bool
	marks   map[string]bool
	// planned is the last position of each fact in the whole run, worked
	// out when a rule first asks.
	planned map[factKey]int
}

type factKey struct{ fact, key string }

type span struct{ first, last int }

var _ steps.Order = (*order)(nil)

func newOrder(seq []Step, opts Options, s *sim.Sim, r Report) *order {
	return &order{seq: seq, opts: opts, s: s, r: r, provided: map[factKey]*span{}, keys: map[string][]string{},
		anyAt: map[string]int{}, holeAt: -1}
}

// hole records a step that failed to decode: it may have done anything.
func (o *order) hole() {
	o.incomplete, o.diverged = true, true
	o.holeAt = o.pos
}

// provide records the facts the current step provides, and whether its own
// checks refused it.
func (o *order) provide(typ steps.Type, in *steps.Instance, refused bool) {
	t, ok := typ.(steps.Provider)
	if !ok {
		return
	}
	for _, f := range t.Provides(in) {
		if refused {
			if o.refused == nil {
				o.refused = map[string]bool{}
			}
			o.refused[f.Name] = true
		}
		if f.Any {
			o.anyAt[f.Name] = o.pos
			continue
		}
		k := factKey{f.Name, f.Key}
		if sp := o.provided[k]; sp != nil {
			sp.last = o.pos
			continue
		}
		o.provided[k] = &span{first: o.pos, last: o.pos}
		o.keys[f.Name] = append(o.keys[f.Name], f.Key)
	}
}

func (o *order) Cluster() *cluster.Cluster { return o.opts.Cluster }

func (o *order) Status() (*cluster.Status, error) { return o.s.Status(context.Background()) }

func (o *order) Pos() int { return o.pos }

func (o *order) Known() bool { return o.known }

func (o *order) Complete() bool { return !o.incomplete }

func (o *order) First(fact, key string) int {
	if sp := o.provided[factKey{fact, key}]; sp != nil {
		return sp.first
	}
	return -1
}

func (o *order) Last(fact, key string) int {
	if sp := o.provided[factKey{fact, key}]; sp != nil {
		return sp.last
	}
	return -1
}

func (o *order) AnyAt(fact string) int {
	if at, ok := o.anyAt[fact]; ok && at > o.holeAt {
		return at
	}
	return o.holeAt
}

func (o *order) Keys(fact string) []string { return o.keys[fact] }

func (o *order) Planned(fact, key string) int {
	if o.planned == nil {
		o.planned = map[factKey]int{}
		for i := range o.seq {
			st := &o.seq[i]
			if st.Hole || !st.When {
				continue
			}
			t, ok := o.opts.Registry[st.Type].(steps.Provider)
			if !ok {
				continue
			}
			for _, f := range t.Provides(st.Instance) {
				if !f.Any {
					o.planned[factKey{f.Name, f.Key}] = i
				}
			}
		}
	}
	if at, ok := o.planned[factKey{fact, key}]; ok {
		return at
	}
	return -1
}

func (o *order) Refused(fact string) bool { return o.refused[fact] }

func (o *order) Mark(key string) {
	if o.marks == nil {
		o.marks = map[string]bool{}
	}
	o.marks[key] = true
}

func (o *order) Marked(key string) bool { return o.marks[key] }

func (o *order) Step(pos int) steps.Ref {
	st := &o.seq[pos]
	return steps.Ref{Instance: st.Instance, Pos: pos, Roll: st.Roll, Node: st.Node, Where: o.r.Where(pos)}
}
