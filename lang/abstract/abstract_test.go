package abstract

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
)

// The step types of these tests have ordering rules the built-in types do
// not: a node is drained, then undrained. The abstract run knows them only
// through the registry.
const (
	factDrained   = "drained"
	factUndrained = "undrained"
)

type baseType struct{}

func (baseType) Doc() string                   { return "A test step." }
func (baseType) Attrs() []steps.Attr           { return []steps.Attr{{Name: "node", Kind: steps.KindNode}} }
func (baseType) DefaultTimeout() time.Duration { return time.Minute }
func (baseType) Mutates() bool                 { return true }
func (baseType) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	return nil
}
func (baseType) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool { return false }
func (baseType) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	return nil
}

func nodeFact(name string, in *steps.Instance, facts []steps.Fact) []steps.Fact {
	if n := in.Args.Node("node").Name; n != "" {
		return append(facts, steps.Fact{Name: name, Key: n})
	}
	return append(facts, steps.Fact{Name: name, Any: true})
}

// drain provides a drained node, which an undrain must follow.
type drain struct{ baseType }

func (drain) Name() string { return "drain" }
func (drain) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	return nodeFact(factDrained, in, facts)
}
func (drain) Finish(o steps.Order) []steps.Finding {
	var fs []steps.Finding
	for _, n := range o.Keys(factDrained) {
		if at := o.First(factDrained, n); o.Last(factUndrained, n) < at && o.AnyAt(factUndrained) < at {
			fs = append(fs, steps.Finding{Step: at, Problem: steps.Problem{Warning: true, Attr: "node", Summary: "Node left drained",
				Detail: fmt.Sprintf("Node %s stays drained after %s.", n, o.Step(at).Where)}})
		}
	}
	return fs
}

// undrain requires the node drained before it; its own Check always
// complains, so that a test sees whether it was asked.
type undrain struct{ baseType }

func (undrain) Name() string { return "undrain" }
func (undrain) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	return nodeFact(factUndrained, in, facts)
}
func (undrain) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	n := in.Args.Node("node").Name
	if n == "" || o.First(factDrained, n) >= 0 || o.AnyAt(factDrained) >= 0 {
		return steps.Verdict{}
	}
	return steps.Verdict{Supersedes: true, Problems: []steps.Problem{{Attr: "node", Summary: "Undrain before drain"}}}
}
func (undrain) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	return []steps.Problem{{Warning: true, Summary: "Undrain checked"}}
}

// fail fails in the model.
type fail struct{ baseType }

func (fail) Name() string { return "fail" }
func (fail) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	return errors.New("the node refuses.")
}

type seq []Step

func (s seq) Len() int      { return len(s) }
func (s seq) At(i int) Step { return s[i] }

type report struct{ got []string }

func (r *report) Problem(i int, pr steps.Problem) {
	r.got = append(r.got, fmt.Sprintf("%d: %s", i, pr.Summary))
}
func (r *report) Finding(f steps.Finding) {
	r.got = append(r.got, fmt.Sprintf("end %d: %s: %s", f.Step, f.Summary, f.Detail))
}
func (r *report) Issued(i int, ops []string) {}
func (r *report) Where(i int) string         { return fmt.Sprintf("line %d", 10+i) }

func step(typ, node string) Step {
	args := steps.Args{}
	if node != "" {
		args["node"] = cluster.Node{Name: node}
	}
	return Step{Instance: &steps.Instance{Type: typ, Address: "step." + typ + ".x", Args: args}, When: true, Known: true}
}

func TestOrderingRulesThroughTheRegistry(t *testing.T) {
	c := cluster.NewCluster("CL", []cluster.Node{{Name: "A", Version: "1"}, {Name: "B", Version: "1"}}, nil, nil)
	reg := steps.Registry{"drain": drain{}, "undrain": undrain{}, "fail": fail{}}
	skipped := step("drain", "A")
	skipped.When = false
	unknown := step("drain", "")
	unknown.Known = false
	tests := []struct {
		name string
		seq  []Step
		want []string
	}{
		{"in order", []Step{step("drain", "A"), step("undrain", "A")}, []string{"1: Undrain checked"}},
		{"required before", []Step{step("undrain", "A")}, []string{"0: Undrain before drain"}},
		{"must follow", []Step{step("drain", "A"), step("drain", "B"), step("undrain", "B")},
			[]string{"2: Undrain checked", "end 0: Node left drained: Node A stays drained after line 10."}},
		{"skipped steps provide nothing", []Step{skipped, step("undrain", "A")}, []string{"1: Undrain before drain"}},
		{"a step of an unknown node may provide any", []Step{unknown, step("undrain", "A")}, nil},
		{"a hole may provide any", []Step{{Instance: &steps.Instance{}, Hole: true}, step("undrain", "A")}, nil},
		{"a hole may follow", []Step{step("drain", "A"), {Instance: &steps.Instance{}, Hole: true}}, nil},
		{"failing in the model", []Step{step("fail", "")}, []string{"0: Step would fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report{}
			Run(seq(tt.seq), Options{Cluster: c, Timings: sim.DefaultTimings(), Registry: reg}, r)
			if diff := cmp.Diff(tt.want, r.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
