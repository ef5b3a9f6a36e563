package steps

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/runbookhq/runbook/cluster"
)

// TestLookup holds Lookup to Has and the typed getters, the plain way, for
// attributes set to a value of the kind asked, of another kind, unknown,
// and not set.
func TestLookup(t *testing.T) {
	res := []cluster.Resource{{Name: "R1", Preferred: []string{"A"}}}
	a := Args{"resources": res, "grace": 5 * time.Minute, "other": "x", "unknown": Unknown{}, "node": cluster.Node{Name: "A"}}
	for _, name := range []string{"resources", "grace", "other", "unknown", "node", "absent"} {
		gotRes, setRes := Lookup[[]cluster.Resource](a, name)
		if diff := cmp.Diff(a.Resources(name), gotRes, cmpopts.EquateEmpty()); diff != "" || setRes != a.Has(name) {
			t.Errorf("Lookup[[]Resource](%q) = %v, %v; want %v, %v", name, gotRes, setRes, a.Resources(name), a.Has(name))
		}
		gotDur, setDur := Lookup[time.Duration](a, name)
		if gotDur != a.Duration(name) || setDur != a.Has(name) {
			t.Errorf("Lookup[Duration](%q) = %v, %v; want %v, %v", name, gotDur, setDur, a.Duration(name), a.Has(name))
		}
		gotNode, setNode := Lookup[cluster.Node](a, name)
		if gotNode != a.Node(name) || setNode != a.Has(name) {
			t.Errorf("Lookup[Node](%q) = %v, %v; want %v, %v", name, gotNode, setNode, a.Node(name), a.Has(name))
		}
	}
}
