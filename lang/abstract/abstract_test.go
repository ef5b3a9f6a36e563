package abstract

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// lic installs a licence of the version its "version" argument says.
type lic struct{ baseType }

func (lic) Name() string { return "lic" }
func (lic) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	return env.Driver.InstallLicense(ctx, cluster.License{Name: "L", Product: "P", Version: in.Args.String("version")})
}

// probe's ordering rules read the model's side: the licences installed so
// far, and whether a step that provided "refusable" was refused.
type probe struct{ baseType }

func (probe) Name() string { return "probe" }
func (probe) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	st, err := o.Status()
	if err != nil {
		return steps.Verdict{}
	}
	return steps.Verdict{Problems: []steps.Problem{{Summary: fmt.Sprintf("%d licences, refused %v", len(st.Licenses), o.Refused("refusable"))}}}
}

// refuse is refused by its own checks, and provides "refusable".
type refuse struct{ baseType }

func (refuse) Name() string { return "refuse" }
func (refuse) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	return []steps.Problem{{Summary: "Refused"}}
}
func (refuse) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	return append(facts, steps.Fact{Name: "refusable"})
}

// issuedReport is report with the operations each step issued.
type issuedReport struct{ report }

func (r *issuedReport) Issued(i int, ops []string) {
	r.got = append(r.got, fmt.Sprintf("%d: issued %v", i, ops))
}

// TestAheadAgrees holds the run with the ordering rules ahead of the model
// (ahead.go) to the run on one goroutine: rules that read the model's side
// each time (more often than maxSyncs, so that the run is handed back),
// rules that do not, and skipped, unknown and broken steps.
func TestAheadAgrees(t *testing.T) {
	c := cluster.NewCluster("CL", []cluster.Node{{Name: "A", Version: "1"}, {Name: "B", Version: "1"}}, nil, nil)
	reg := steps.Registry{"drain": drain{}, "undrain": undrain{}, "fail": fail{}, "lic": lic{}, "probe": probe{}, "refuse": refuse{}}
	licStep := func(v int) Step {
		s := step("lic", "")
		s.Args["version"] = fmt.Sprint(v)
		return s
	}
	var probed, plain []Step
	for i := range 3 * maxSyncs {
		probed = append(probed, licStep(i+1), step("probe", ""))
		if i == maxSyncs/2 {
			probed = append(probed, step("refuse", ""))
		}
		s := step("drain", "A")
		s.When = i%7 != 0
		u := step("undrain", []string{"A", "B", ""}[i%3])
		u.Known = i%5 != 0
		plain = append(plain, s, u, step("fail", ""), licStep(i+1))
		if i%11 == 0 {
			plain = append(plain, Step{Instance: &steps.Instance{}, Hole: true})
		}
	}
	for name, sq := range map[string][]Step{"probed": probed, "plain": plain} {
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, n := range []int{-1, 1, len(sq), len(sq) + 1} {
				r := &issuedReport{}
				Run(seq(sq), Options{Cluster: c, Timings: sim.DefaultTimings(), Registry: reg, Ahead: n}, r)
				if n == -1 {
					want = r.got
					continue
				}
				if diff := cmp.Diff(want, r.got); diff != "" {
					t.Errorf("Ahead %d: (-one goroutine +ahead):\n%s", n, diff)
				}
			}
			if name == "probed" {
				for _, line := range []string{"1: 1 licences, refused false", "3: 2 licences, refused false",
					fmt.Sprintf("%d: Refused", maxSyncs+2), fmt.Sprintf("%d: %d licences, refused true", maxSyncs+4, maxSyncs/2+2),
					fmt.Sprintf("%d: %d licences, refused true", len(sq)-1, 3*maxSyncs)} {
					if !slices.Contains(want, line) {
						t.Errorf("no %q in %q", line, want)
					}
				}
			}
		})
	}
}

func TestAheadWhen(t *testing.T) {
	for _, tt := range []struct {
		ahead, n int
		want     bool
	}{{-1, 1000, false}, {1, 1, true}, {10, 9, false}, {10, 10, true}, {0, DefaultAhead - 1, false}} {
		if got := ahead(Options{Ahead: tt.ahead}, tt.n); got != tt.want {
			t.Errorf("ahead(Ahead %d, %d steps) = %v, want %v", tt.ahead, tt.n, got, tt.want)
		}
	}
}
