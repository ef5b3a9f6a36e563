package lang

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
)

// Step type names the order rules know. The registry is data, but these
// rules are about the reference procedure's steps.
const (
	typeInstallLicense = "install-license"
	typeUpgradeNode    = "upgrade-node"
	typeAwaitFailback  = "await-failback"
	typeMediaUpgrade   = "media-upgrade"
)

// check is the abstract run: every step instance in order, against a
// simulator started from the declared cluster, with no durations and no
// licence enforcement. Each step type's own Check reports the
// preconditions that do not hold at that point, and its Run applies its
// effect to the model, so that validate and run share one model of what
// each step does. The rules about the order of steps live in orderState.
//
// Steps that are skipped (when = false) are left out. A step whose
// arguments are not known (they depend on a variable with no value) or
// have errors is left out too; from the first such step that changes the
// cluster on, the model no longer follows the runbook, so only the order
// rules are checked, and the checks of the final state are not made. A
// step that failed to decode at all (a hole) may have done anything: no
// rule it might have satisfied is reported after it.
//
// The same finding on several nodes of a roll is reported once, naming
// the nodes (finishFindings).
func (p *parser) check() {
	rb := p.rb
	if rb.Cluster == nil || len(rb.Cluster.Nodes) == 0 {
		return
	}
	defer p.finishFindings()
	s := sim.New(rb.Cluster, sim.Options{Timings: rb.Timings(), Instant: true, Lenient: true})
	rec := &opRecorder{Driver: s}
	// Poll once per timeout: with no durations, a condition that does not
	// hold at once never will.
	env := &steps.Env{Cluster: rb.Cluster, Driver: rec, Poll: 24 * time.Hour, AutoApprove: true, Dir: rb.Dir}
	undeclared := p.undeclaredOps()
	ctx := context.Background()
	o := newOrderState(p, s)
	for i, st := range p.seq {
		o.pos = i
		if st.hole {
			o.hole()
			continue
		}
		if !st.When {
			continue
		}
		typ := p.opts.Registry[st.Type]
		if typ == nil {
			continue
		}
		orderErr, silenced := o.before(st)
		if !st.known || o.diverged {
			// Its order still counts (an upgrade of a known node to a
			// version not known yet is still an upgrade), but the model
			// cannot run it, so the final state is not known. Once a step
			// that changes the cluster is left out, the model no longer
			// follows the runbook: later steps' preconditions are not
			// checked against it, which would only report the cascade.
			o.incomplete = true
			o.diverged = o.diverged || typ.Mutates()
			o.after(st)
			continue
		}
		status, err := s.Status(ctx)
		if err != nil {
			return
		}
		checkErr := false
		if !orderErr {
			for _, pr := range typ.Check(env, status, &st.Instance) {
				if silenced[pr.Rule] || o.followsRefusedUpgrade(st, pr) {
					continue
				}
				p.problem(st, pr)
				checkErr = checkErr || !pr.Warning
			}
		}
		if checkErr && st.Type == typeMediaUpgrade {
			o.mediaRefused = true
		}
		if checkErr && st.Type == typeUpgradeNode {
			o.upgradeRefused = true
		}
		if typ.Mutates() {
			// Steps that change no cluster state are not run: they may act
			// outside the cluster (a local command), which validate must not do.
			rec.used = nil
			err := typ.Run(ctx, env, &st.Instance, s.Now().Add(st.Timeout))
			p.checkDeclared(st, rec.used, undeclared)
			if err != nil {
				// Resume it once, as a new run would, so that the model
				// goes on from the step's full effect rather than from
				// where it stopped (an outage already reported, say).
				_ = typ.Run(ctx, env, &st.Instance, s.Now().Add(st.Timeout))
			}
			if err != nil && !checkErr && !orderErr {
				p.stepErrorf(st, st.Range, "", "Step would fail", "Run against the declared cluster, the step fails: %s.", strings.TrimSuffix(err.Error(), "."))
			}
		}
		o.after(st)
	}
	o.finish(s)
}

// undeclaredOps are the operations for which the selected driver's block
// has an operation setting that the runbook leaves unset, each mapped to
// false until a step issues it: the run would fail there. An operation the
// block has no setting for, the driver performs by itself. None when the
// block is required and missing: that is reported.
func (p *parser) undeclaredOps() map[string]bool {
	rb := p.rb
	kind, ok := p.opts.Drivers.Kind(rb.Driver)
	cfg := rb.Block(rb.Driver)
	if !ok || cfg == nil {
		return nil
	}
	schema := kind.Block()
	if schema.Required && !cfg.Declared {
		return nil
	}
	out := map[string]bool{}
	for _, s := range schema.Settings {
		if s.Type == drivers.Operation && !cfg.Operations().Declared(s.Name) {
			out[s.Name] = false
		}
	}
	return out
}

// checkDeclared reports each operation the step issued in the abstract
// run that is among the undeclared ones (undeclaredOps), possibly
// half-way through the run (resources taken offline for the media upgrade
// and no command to bring them back). Each is reported once, at the first
// step that needs it.
func (p *parser) checkDeclared(st *Step, used []string, undeclared map[string]bool) {
	if st.detached || len(undeclared) == 0 {
		return // a detached step's are reported at the next step that issues them
	}
	block := p.rb.Driver
	for _, op := range used {
		if reported, ok := undeclared[op]; !ok || reported {
			continue
		}
		undeclared[op] = true
		p.stepErrorf(st, st.Range, "", "Operation not declared", "This step issues the driver operation %q, but the cluster's %s block declares no %s command, so the run would fail here. Add %s = [\"COMMAND\", \"ARG\", ...] (or a shell string) to the %s block.", op, block, op, op, block)
	}
}

// opRecorder records the driver operations a step issues, by name.
type opRecorder struct {
	cluster.Driver
	used []string
}

func (r *opRecorder) note(op string) {
	for _, u := range r.used {
		if u == op {
			return
		}
	}
	r.used = append(r.used, op)
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

// problem reports a step type's Problem at the attribute it is about.
func (p *parser) problem(st *Step, pr steps.Problem) {
	sev := hcl.DiagError
	if pr.Warning {
		sev = hcl.DiagWarning
	}
	rng := st.Range
	if pr.Attr != "" {
		rng = st.AttrRange(pr.Attr)
	}
	p.stepDiag(st, sev, rng, pr.Rule, pr.Summary, pr.Detail)
}

func contextBackground() context.Context { return context.Background() }
