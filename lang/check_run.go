package lang

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang/abstract"
	"github.com/runbookhq/runbook/steps"
)

// check is the abstract run of package lang/abstract over the step
// instances in order, with the holes left by the steps that failed to
// decode: what it finds becomes diagnostics here, at the step instance (or
// the declaration) it is about. The same finding on several nodes of a
// roll is reported once, naming the nodes (finishFindings).
func (p *parser) check() {
	rb := p.rb
	if rb.Cluster == nil || len(rb.Cluster.Nodes) == 0 {
		return
	}
	defer p.finishFindings()
	r := &checkReport{p: p, undeclared: p.undeclaredOps()}
	abstract.Run(r, abstract.Options{Cluster: rb.Cluster, Timings: rb.Timings(), Dir: rb.Dir, Registry: p.opts.Registry, Model: p.model, Ahead: p.opts.ahead}, r)
}

// checkReport hands the abstract run the step instances, and turns what it
// finds into diagnostics.
type checkReport struct {
	p *parser
	// undeclared holds the driver operations the runbook leaves undeclared
	// (undeclaredOps), true once reported.
	undeclared map[string]bool
}

// Len and At are the sequence the abstract run follows (abstract.Seq).
func (r *checkReport) Len() int { return len(r.p.seq) }

func (r *checkReport) At(i int) abstract.Step {
	st := r.p.seq[i]
	return abstract.Step{Instance: &st.Instance, When: st.When, Known: st.known, Hole: st.hole, Roll: st.Roll, Node: st.Node}
}

func (r *checkReport) Problem(i int, pr steps.Problem) { r.p.problem(r.p.seq[i], pr) }

func (r *checkReport) Issued(i int, ops []string) { r.p.checkDeclared(r.p.seq[i], ops, r.undeclared) }

func (r *checkReport) Where(i int) string { return r.p.seq[i].Range.String() }

// Finding reports a step type's finding at the end of the run: at a step
// (one naming the nodes of its roll it holds for is not merged with
// others), or at a declaration.
func (r *checkReport) Finding(f steps.Finding) {
	p := r.p
	if f.Step >= 0 {
		n := len(p.findings)
		p.problem(p.seq[f.Step], f.Problem)
		if len(f.Nodes) > 0 && len(p.findings) > n {
			sf := p.findings[n]
			sf.info.Nodes, sf.named = f.Nodes, true
		}
		return
	}
	sev := hcl.DiagError
	if f.Warning {
		sev = hcl.DiagWarning
	}
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: sev, Summary: f.Summary, Detail: f.Detail, Subject: p.declRange(f.Decl, f.Attr).Ptr()})
}

// declRange is the range of a declaration's attribute, or of its block
// when attr is "" or not set.
func (p *parser) declRange(d steps.Decl, attr string) hcl.Range {
	var block *hcl.Block
	var attrs attrList
	switch d.Kind {
	case "node":
		if x := p.nodes[d.Name]; x != nil {
			block, attrs = x.block, x.attrs
		}
	case "resource":
		if x := p.resources[d.Name]; x != nil {
			block, attrs = x.block, x.attrs
		}
	case "license":
		if x := p.licenses[d.Name]; x != nil {
			block, attrs = x.block, x.attrs
		}
	}
	if a, ok := attrs.get(attr); ok {
		return a.Expr.Range()
	}
	if block != nil {
		return block.DefRange
	}
	return *p.fileStart()
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
