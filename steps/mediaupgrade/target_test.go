package mediaupgrade

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/runbookhq/runbook/cluster"
)

// TestTargetIsHighestVersion holds target, one pass over the nodes, to the
// last of the status's sorted versions, on random mixes of versions that
// include ones that compare equal ("6.5", "6.5.0") and invalid ones.
func TestTargetIsHighestVersion(t *testing.T) {
	versions := []string{"6.0", "6.5", "6.5.0", "6.5.8", "6.50", "7", "7.0", "", "x", "10"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		st := cluster.NewStatus()
		for n := rng.Intn(6); n >= 0; n-- {
			st.SetNode(fmt.Sprintf("N%d", n), cluster.NodeStatus{State: cluster.NodeUp, Version: versions[rng.Intn(len(versions))]})
		}
		vs := st.Versions()
		if got, want := target(st), vs[len(vs)-1]; got != want {
			t.Fatalf("target of %v = %q; want %q", vs, got, want)
		}
	}
	if got := target(cluster.NewStatus()); got != "" {
		t.Errorf("target of no nodes = %q; want \"\"", got)
	}
}
