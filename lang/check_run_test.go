package lang

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/testdata/gen"
)

// drainType and undrainType are step types registered only in this test,
// with ordering rules of their own: a node is drained, then undrained.
// The language knows them only through the registry.
type drainType struct{ undrain bool }

func (t drainType) Name() string {
	if t.undrain {
		return "undrain"
	}
	return "drain"
}
func (drainType) Doc() string { return "A test step." }
func (drainType) Attrs() []steps.Attr {
	return []steps.Attr{{Name: "node", Kind: steps.KindNode, Required: true}}
}
func (drainType) DefaultTimeout() time.Duration { return time.Minute }
func (drainType) Mutates() bool                 { return true }
func (drainType) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	return nil
}
func (drainType) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool { return false }
func (drainType) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	return nil
}

func (t drainType) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	if n := in.Args.Node("node").Name; n != "" {
		return append(facts, steps.Fact{Name: t.Name(), Key: n})
	}
	return append(facts, steps.Fact{Name: t.Name(), Any: true})
}

// Before: an undrain requires its node drained before.
func (t drainType) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	n := in.Args.Node("node").Name
	if !t.undrain || n == "" || o.First("drain", n) >= 0 || o.AnyAt("drain") >= 0 {
		return steps.Verdict{}
	}
	return steps.Verdict{Supersedes: true, Problems: []steps.Problem{{Rule: "D1", Attr: "node", Summary: "Undrain before drain",
		Detail: fmt.Sprintf("Node %s is not drained yet.", n)}}}
}

// Finish: an undrain must follow each drain; a node never drained at all
// is reported at its declaration.
func (t drainType) Finish(o steps.Order) []steps.Finding {
	if t.undrain {
		return nil
	}
	var fs []steps.Finding
	for _, n := range o.Keys("drain") {
		if at := o.First("drain", n); o.Last("undrain", n) < at {
			fs = append(fs, steps.Finding{Step: at, Problem: steps.Problem{Warning: true, Rule: "D2", Attr: "node", Summary: "Node left drained",
				Detail: fmt.Sprintf("Node %s stays drained.", n)}})
		}
	}
	if len(o.Keys("drain")) > 0 && o.First("drain", "FS3") < 0 {
		fs = append(fs, steps.Finding{Step: -1, Decl: steps.Decl{Kind: "node", Name: "FS3"},
			Problem: steps.Problem{Warning: true, Attr: "address", Summary: "Node never drained", Detail: "Node FS3 is never drained."}})
	}
	return fs
}

// TestOrderingRulesOfANewStepType: a step type registered only in a test
// states ordering rules of its own, which the abstract run asks and the
// language reports like the built-in types' (at the attribute, the same
// finding on the nodes of a roll said once), with no change in lang.
func TestOrderingRulesOfANewStepType(t *testing.T) {
	reg := steps.Registry{"drain": drainType{}, "undrain": drainType{undrain: true}}
	src := header + `
step "undrain" "early" {
  node = node.FS2
}
rolling "roll" {
  nodes = [node.FS1, node.FS2]
  step "drain" "d" {
    node = each.node
  }
}
`
	_, diags := load(t, src, Options{Registry: reg})
	type diag struct {
		Line          int
		Summary, Rule string
		Nodes         []string
		NamesFS2      bool
	}
	var got []diag
	for _, d := range diags {
		info, _ := d.Extra.(*DiagnosticInfo)
		g := diag{Line: d.Subject.Start.Line, Summary: d.Summary, NamesFS2: strings.Contains(d.Detail, "The same holds for node FS2")}
		if info != nil {
			g.Rule, g.Nodes = info.Rule, info.Nodes
		}
		got = append(got, g)
	}
	lines := strings.Count(header, "\n")
	want := []diag{
		{Line: lines + 3, Summary: "Undrain before drain", Rule: "D1"},
		{Line: lines + 8, Summary: "Node left drained", Rule: "D2", Nodes: []string{"FS1", "FS2"}, NamesFS2: true},
		{Line: 13, Summary: "Node never drained"}, // FS3's address,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		var b strings.Builder
		for _, d := range diags {
			b.WriteString(d.Error() + "\n")
		}
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, b.String())
	}
	if !diags.HasErrors() || len(diags) != 3 || diags[2].Severity != hcl.DiagWarning {
		t.Errorf("severities: %v", diags)
	}
}

// TestAheadAgrees holds the abstract run with its ordering rules ahead of
// the model, from the first step on, to the run on one goroutine, on every
// runbook of the repository (valid and not, with and without values), the
// generated ones, and one whose rules ask the model's side at each upgrade
// (a licence installed again at the end), which hands the run back.
func TestAheadAgrees(t *testing.T) {
	type input struct {
		name string
		src  []byte
		opts Options
	}
	var ins []input
	for _, file := range repoRunbooks(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		opts := repoOptions(t, file)
		ins = append(ins, input{filepath.Base(file), src, opts})
		opts.RequireValues = true
		ins = append(ins, input{filepath.Base(file) + " with values", src, opts})
	}
	opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()}
	for _, n := range []int{1, 3, 40} {
		ins = append(ins, input{fmt.Sprintf("gen%d.hcl", n), gen.Runbook(n), opts},
			input{fmt.Sprintf("invalid%d.hcl", n), gen.Invalid(n), opts})
	}
	again := append(gen.Runbook(100), "\nstep \"install-license\" \"again\" {\n  license = license.ncs65\n}\n"...)
	ins = append(ins, input{"again.hcl", again, opts})
	for _, in := range ins {
		in.opts.ahead = -1
		one, odiags := loadSources(in.name, []string{in.name}, [][]byte{in.src}, in.opts)
		in.opts.ahead = 1
		ahead, adiags := loadSources(in.name, []string{in.name}, [][]byte{in.src}, in.opts)
		if diff := cmp.Diff(dumpLoad(one, odiags), dumpLoad(ahead, adiags)); diff != "" {
			t.Errorf("%s: the rules ahead differ from one goroutine (-one +ahead):\n%s", in.name, diff)
		}
	}
}
