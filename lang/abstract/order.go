package abstract

import (
	"context"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// order is the abstract run's [steps.Order]: for each fact, where it was
// first and last provided, keyed by fact and key, so that the whole run is
// linear in the number of steps.
type order struct {
	seq  Seq
	opts Options
	m    *modelSide
	r    Report
	// pipe is set while the rules run ahead of the model (ahead.go).
	pipe *pipe

	pos   int
	known bool
	// incomplete is set when a step was left out of the model: its
	// arguments were not known, or it failed to decode.
	incomplete bool
	// diverged is set when a step that changes the cluster was left out:
	// the model no longer follows the runbook.
	diverged bool

	// all are the facts every step provides, worked out once at the
	// start: step i's are all[at[i]:at[i+1]]. Those of the steps that are
	// skipped or failed to decode are none.
	all []steps.Fact
	at  []int32
	// facts holds, for each fact, where each key was provided, in the
	// order the facts were first provided; a run has a handful.
	facts []*factState
	// holeAt is the position of the last step that failed to decode, -1.
	holeAt int
	marks  map[string]bool
	// planned is, by fact and key, the last position in the whole run of a
	// step that provides it.
	planned map[string]map[string]int
}

// factState is where a fact was provided: for each key (by its index in
// keys), the first and last positions; the keys in the order they were
// first provided; and the last position of a step that may have provided
// it for any key (-1).
type factState struct {
	name  string
	index map[string]int32
	spans []span
	keys  []string
	anyAt int
}

type span struct{ first, last int }

var _ steps.Order = (*order)(nil)

func newOrder(seq Seq, opts Options, m *modelSide, r Report) *order {
	return &order{seq: seq, opts: opts, m: m, r: r, holeAt: -1, at: make([]int32, seq.Len()+1)}
}

// plan works out the facts every step provides, known or not, and makes
// room for them: the maps of keys never grow.
func (o *order) plan() {
	n := o.seq.Len()
	o.all = o.factsOf(0, n, make([]steps.Fact, 0, n+n/2))
	o.at[n] = int32(len(o.all))
	o.room()
}

// factsOf appends to all the facts of steps from to to-1, and sets their
// at to where they start in all.
func (o *order) factsOf(from, to int, all []steps.Fact) []steps.Fact {
	for i := from; i < to; i++ {
		o.at[i] = int32(len(all))
		st := o.seq.At(i)
		if st.Hole || !st.When {
			continue
		}
		if t, ok := o.opts.Registry[st.Type].(steps.Provider); ok {
			all = t.Provides(st.Instance, all)
		}
	}
	return all
}

// room makes the state of each fact of all, with room for its keys.
func (o *order) room() {
	for _, f := range o.all {
		fs := o.fact(f.Name)
		if fs == nil {
			fs = &factState{name: f.Name, anyAt: -1}
			o.facts = append(o.facts, fs)
		}
		if !f.Any {
			fs.keys = append(fs.keys, "") // counted; made empty below
		}
	}
	for _, fs := range o.facts {
		fs.index = make(map[string]int32, len(fs.keys))
		fs.spans = make([]span, 0, len(fs.keys))
		fs.keys = fs.keys[:0]
	}
}

// fact is the state of the fact called name, nil if none provides it.
func (o *order) fact(name string) *factState {
	for _, fs := range o.facts {
		if fs.name == name {
			return fs
		}
	}
	return nil
}

// hole records a step that failed to decode: it may have done anything.
func (o *order) hole() {
	o.incomplete, o.diverged = true, true
	o.holeAt = o.pos
}

// provide records the facts the current step provides.
func (o *order) provide() {
	for _, f := range o.all[o.at[o.pos]:o.at[o.pos+1]] {
		fs := o.fact(f.Name)
		if f.Any {
			fs.anyAt = o.pos
			continue
		}
		if k, ok := fs.index[f.Key]; ok {
			fs.spans[k].last = o.pos
			continue
		}
		fs.index[f.Key] = int32(len(fs.spans))
		fs.spans = append(fs.spans, span{first: o.pos, last: o.pos})
		fs.keys = append(fs.keys, f.Key)
	}
}

func (o *order) Cluster() *cluster.Cluster { return o.opts.Cluster }

// Status and Refused read the model's side: the rules wait for it to have
// run every step before the current one.
func (o *order) Status() (*cluster.Status, error) {
	o.sync()
	return o.m.s.Status(context.Background())
}

func (o *order) Pos() int { return o.pos }

func (o *order) Known() bool { return o.known }

func (o *order) Complete() bool { return !o.incomplete }

func (o *order) span(fact, key string) (span, bool) {
	if fs := o.fact(fact); fs != nil {
		if k, ok := fs.index[key]; ok {
			return fs.spans[k], true
		}
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
	if fs := o.fact(fact); fs != nil && fs.anyAt > o.holeAt {
		return fs.anyAt
	}
	return o.holeAt
}

func (o *order) Keys(fact string) []string {
	if fs := o.fact(fact); fs != nil {
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
			for _, f := range o.all[o.at[i]:o.at[i+1]] {
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

func (o *order) Refused(fact string) bool {
	o.sync()
	return o.m.refused[fact]
}

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
