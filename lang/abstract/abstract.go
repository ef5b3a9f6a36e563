// Package abstract is the abstract run that validate performs: every step
// instance of a decoded runbook in order, against a simulator started from
// the declared cluster, with no durations and no licence enforcement. Each
// step type's own Check reports the preconditions that do not hold at that
// point, and its Run applies its effect to the model, so that validate and
// run share one model of what each step does. The rules about the order of
// steps are the step types' own too ([steps.Provider], [steps.Ordered],
// [steps.Finisher]):
// the run asks each step type through the registry, and names none.
//
// Steps that are skipped (when = false) are left out. A step whose
// arguments are not known (they depend on a variable with no value) is
// left out too; from the first such step that changes the cluster on, the
// model no longer follows the runbook, so only the ordering rules are
// asked, and the rules about the final state hold back. A step that failed
// to decode at all (a hole) may have done anything: no rule it might have
// satisfied is reported after it.
//
// The package knows nothing of HCL: it reports through [Report], by the
// position of a step in the sequence it was given, and the language turns
// that into diagnostics.
package abstract

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
)

// Step is one step of the sequence the abstract run follows.
type Step struct {
	*steps.Instance
	// When is false for a step that is skipped.
	When bool
	// Known is false when some argument is not known.
	Known bool
	// Hole marks a step that failed to decode: it may have done anything.
	Hole bool
	// Roll is the rolling block's name, "" at the top level; Node the node
	// of the roll the step is bound to.
	Roll, Node string
}

// Seq is the sequence of steps the abstract run follows.
type Seq interface {
	Len() int
	At(i int) Step
}

// Report receives what the abstract run finds, by the position of the step
// in the sequence.
type Report interface {
	// Problem reports a problem at step i: its own Check's, or one of its
	// ordering rules'.
	Problem(i int, pr steps.Problem)
	// Finding reports a finding of a step type's rules at the end of the run.
	Finding(f steps.Finding)
	// Issued tells the driver operations step i issued on the model (each
	// once, in order), after every step that changes the cluster.
	Issued(i int, ops []string)
	// Where is the place of step i's block in the runbook's files.
	Where(i int) string
}

// Options are the abstract run's settings.
type Options struct {
	// Cluster is the declared cluster, with at least one node.
	Cluster *cluster.Cluster
	// Timings are the simulator's timings.
	Timings sim.Timings
	// Dir is the runbook's directory.
	Dir string
	// Registry holds the step types.
	Registry steps.Registry
	// Model is the simulator Run follows, made by Model from Cluster and
	// Timings ahead of Run, while the caller did other work; nil: Run
	// makes it.
	Model *sim.Sim
	// Ahead is the least number of steps for which the ordering rules run
	// ahead of the model on a goroutine of their own (ahead.go): 0 is
	// DefaultAhead, on a machine with more than one processor; -1 never.
	// What Run reports is the same either way.
	Ahead int
}

// Model is the simulator the abstract run follows: started from the
// declared cluster c with timings t, with no durations and no licence
// enforcement, and no account of downtime. It depends on nothing else, so a caller may make it while
// it decodes the steps.
func Model(c *cluster.Cluster, t sim.Timings) *sim.Sim {
	return sim.New(c, sim.Options{Timings: t, Instant: true, Lenient: true, NoDowntime: true})
}

// Run runs seq against a simulator started from the declared cluster and
// reports what it finds to r.
//
// A step's ordering rules (Before, Provides) read only what the steps
// before it provided, and its Check and Run only the model, so that on a
// machine with more than one processor a long run asks the ordering rules
// on a goroutine of their own, ahead of the model (ahead.go). What they
// find reaches r from the model's side, in the order of the steps, as it
// does when one goroutine asks both: r sees the same calls in the same
// order either way.
func Run(seq Seq, opts Options, r Report) {
	s := opts.Model
	if s == nil {
		s = Model(opts.Cluster, opts.Timings)
	}
	m := newModelSide(s, opts, r)
	o := newOrder(seq, opts, m, r)
	if !m.follow(o, seq.Len()) {
		return
	}
	o.pos = seq.Len()
	for _, name := range opts.Registry.Names() {
		if f, ok := opts.Registry[name].(steps.Finisher); ok {
			for _, fd := range f.Finish(o) {
				r.Finding(fd)
			}
		}
	}
}

// item is what a step's ordering rules said, for the model's side: its
// type (nil for a step left out: skipped, a hole, or of no known type), its
// instance, the verdict of its Before, and whether the model runs it.
type item struct {
	typ   steps.Type
	in    *steps.Instance
	v     steps.Verdict
	model bool
}

// next asks the ordering rules about step i, records what it provides, and
// returns what the model's side does with it.
func (o *order) next(i int) item {
	st := o.seq.At(i)
	o.pos, o.known = i, st.Known
	if st.Hole {
		o.hole()
		return item{}
	}
	if !st.When {
		return item{}
	}
	typ := o.opts.Registry[st.Type]
	if typ == nil {
		return item{}
	}
	it := item{typ: typ, in: st.Instance}
	if ordered, ok := typ.(steps.Ordered); ok {
		it.v = ordered.Before(o, st.Instance)
	}
	if !st.Known || o.diverged {
		// Its order still counts (an upgrade of a known node to a
		// version not known yet is still an upgrade), but the model
		// cannot run it, so the final state is not known. Once a step
		// that changes the cluster is left out, the model no longer
		// follows the runbook: later steps' preconditions are not
		// checked against it, which would only report the cascade.
		o.incomplete = true
		o.diverged = o.diverged || typ.Mutates()
	} else {
		it.model = true
	}
	// What the step provides counts from the next step on; whether its
	// own checks refuse it, the model's side records (modelSide.refused).
	o.provide()
	return it
}

// modelSide is the abstract run's model: the simulator, and what its
// steps' own checks said.
type modelSide struct {
	s    *sim.Sim
	rec  *opRecorder
	env  *steps.Env
	ctx  context.Context
	r    Report
	opts Options
	// refused holds the facts provided by a step that its own checks
	// refused (an error was reported at it).
	refused map[string]bool
	buf     []steps.Fact
}

func newModelSide(s *sim.Sim, opts Options, r Report) *modelSide {
	rec := &opRecorder{Driver: s}
	// Poll once per timeout: with no durations, a condition that does not
	// hold at once never will.
	env := &steps.Env{Cluster: opts.Cluster, Driver: rec, Poll: 24 * time.Hour, AutoApprove: true, Dir: opts.Dir}
	return &modelSide{s: s, rec: rec, env: env, ctx: context.Background(), r: r, opts: opts}
}

// step reports what the ordering rules said about step i and runs it on
// the model. It returns false when the model cannot go on.
func (m *modelSide) step(i int, it item) bool {
	if it.typ == nil {
		return true
	}
	r, typ, v := m.r, it.typ, it.v
	for _, pr := range v.Problems {
		r.Problem(i, pr)
	}
	if !it.model {
		return true
	}
	status, err := m.s.Status(m.ctx)
	if err != nil {
		return false
	}
	refused := false
	if !v.Supersedes {
		for _, pr := range typ.Check(m.env, status, it.in) {
			if v.Silence != nil && v.Silence(pr) {
				continue
			}
			r.Problem(i, pr)
			refused = refused || !pr.Warning
		}
	}
	if typ.Mutates() {
		// Steps that change no cluster state are not run: they may act
		// outside the cluster (a local command), which validate must not do.
		rec := m.rec
		rec.used = rec.used[:0]
		err := typ.Run(m.ctx, m.env, it.in, m.s.Now().Add(it.in.Timeout))
		r.Issued(i, rec.used)
		if err != nil {
			// Resume it once, as a new run would, so that the model
			// goes on from the step's full effect rather than from
			// where it stopped (an outage already reported, say).
			_ = typ.Run(m.ctx, m.env, it.in, m.s.Now().Add(it.in.Timeout))
		}
		if err != nil && !refused && !v.Supersedes {
			r.Problem(i, steps.Problem{Summary: "Step would fail",
				Detail: "Run against the declared cluster, the step fails: " + strings.TrimSuffix(err.Error(), ".") + "."})
		}
	}
	if refused {
		if t, ok := typ.(steps.Provider); ok {
			m.buf = t.Provides(it.in, m.buf[:0])
			for _, f := range m.buf {
				if m.refused == nil {
					m.refused = map[string]bool{}
				}
				m.refused[f.Name] = true
			}
		}
	}
	return true
}

// opRecorder records the driver operations a step issues, by name.
type opRecorder struct {
	cluster.Driver
	used []string
}

func (r *opRecorder) note(op string) {
	if !slices.Contains(r.used, op) {
		r.used = append(r.used, op)
	}
}

func (r *opRecorder) InstallLicense(ctx context.Context, l cluster.License) error {
	r.note(cluster.OpInstallLicense)
	return r.Driver.InstallLicense(ctx, l)
}

func (r *opRecorder) Leave(ctx context.Context, n cluster.Node) error {
	r.note(cluster.OpLeave)
	return r.Driver.Leave(ctx, n)
}

func (r *opRecorder) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	r.note(cluster.OpUpgrade)
	return r.Driver.Upgrade(ctx, n, to)
}

func (r *opRecorder) Migrate(ctx context.Context, res cluster.Resource, n cluster.Node) error {
	r.note(cluster.OpMigrate)
	return r.Driver.Migrate(ctx, res, n)
}

func (r *opRecorder) Offline(ctx context.Context, res cluster.Resource) error {
	r.note(cluster.OpOffline)
	return r.Driver.Offline(ctx, res)
}

func (r *opRecorder) Online(ctx context.Context, res cluster.Resource, n cluster.Node) error {
	r.note(cluster.OpOnline)
	return r.Driver.Online(ctx, res, n)
}

func (r *opRecorder) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	r.note(cluster.OpMediaUpgrade)
	return r.Driver.MediaUpgrade(ctx, n)
}

func (r *opRecorder) MediaRefresh(ctx context.Context, n cluster.Node) error {
	r.note(cluster.OpMediaRefresh)
	return r.Driver.MediaRefresh(ctx, n)
}

// Concurrently passes a group of operations on to the simulator, which
// runs them one by one.
func (r *opRecorder) Concurrently(limit int, ops []func() error) []error {
	return cluster.Concurrently(r.Driver, limit, ops)
}
