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
	seq  Seq
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

	// facts holds, for each fact, where each key was provided.
	facts map[string]*factState
	// holeAt is the position of the last step that failed to decode, -1.
	holeAt  int
	refused map[string]bool
	marks   map[string]bool
	// buf is reused for each step's facts.
	buf []steps.Fact
	// planned is, by fact and key, the last position in the whole run of a
	// step that provides it.
	planned map[string]map[string]int
}

// factState is where a fact was provided: for each key, the first and last
// positions, the keys in the order they were first provided, and the last
// position of a step that may have provided it for any key (-1).
type factState struct {
	spans map[string]span
	keys  []string
	anyAt int
}

type span struct{ first, last int }

var _ steps.Order = (*order)(nil)

func newOrder(seq Seq, opts Options, s *sim.Sim, r Report) *order {
	return &order{seq: seq, opts: opts, s: s, r: r, facts: map[string]*factState{}, holeAt: -1}
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
	o.buf = t.Provides(in, o.buf[:0])
	for _, f := range o.buf {
		if refused {
			if o.refused == nil {
				o.refused = map[string]bool{}
			}
			o.refused[f.Name] = true
		}
		fs := o.facts[f.Name]
		if fs == nil {
			fs = &factState{spans: map[string]span{}, anyAt: -1}
			o.facts[f.Name] = fs
		}
		if f.Any {
			fs.anyAt = o.pos
			continue
		}
		if sp, ok := fs.spans[f.Key]; ok {
			sp.last = o.pos
			fs.spans[f.Key] = sp
			continue
		}
		fs.spans[f.Key] = span{first: o.pos, last: o.pos}
		fs.keys = append(fs.keys, f.Key)
	}
}

func (o *order) Cluster() *cluster.Cluster { return o.opts.Cluster }

func (o *order) Status() (*cluster.Status, error) { return o.s.Status(context.Background()) }

func (o *order) Pos() int { return o.pos }

func (o *order) Known() bool { return o.known }

func (o *order) Complete() bool { return !o.incomplete }

func (o *order) span(fact, key string) (span, bool) {
	if fs := o.facts[fact]; fs != nil {
		sp, ok := fs.spans[key]
		return sp, ok
	}
	return span{}, false
}

func (o *order) First(fact, key string) int {
	if sp, ok := o.span(fact, key); ok {
		return sp.first
	}
	return -1
}

func (o *order) Last(fact, key string) int {
	if sp, ok := o.span(fact, key); ok {
		return sp.last
	}
	return -1
}

func (o *order) AnyAt(fact string) int {
	if fs := o.facts[fact]; fs != nil && fs.anyAt > o.holeAt {
		return fs.anyAt
	}
	return o.holeAt
}

func (o *order) Keys(fact string) []string {
	if fs := o.facts[fact]; fs != nil {
		return fs.keys
	}
	return nil
}

func (o *order) Planned(fact, key string) int {
	planned, ok := o.planned[fact]
	if !ok {
		// Worked out for each fact when a rule first asks, over the whole
		// run: the steps that are not skipped, known or not.
		planned = map[string]int{}
		for i := range o.seq.Len() {
			st := o.seq.At(i)
			if st.Hole || !st.When {
				continue
			}
			t, ok := o.opts.Registry[st.Type].(steps.Provider)
			if !ok {
				continue
			}
			o.buf = t.Provides(st.Instance, o.buf[:0])
			for _, f := range o.buf {
				if f.Name == fact && !f.Any {
					planned[f.Key] = i
				}
			}
		}
		if o.planned == nil {
			o.planned = map[string]map[string]int{}
		}
		o.planned[fact] = planned
	}
	if at, ok := planned[key]; ok {
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
	st := o.seq.At(pos)
	return steps.Ref{Instance: st.Instance, Pos: pos, Roll: st.Roll, Node: st.Node, Where: o.r.Where(pos)}
}
