package runtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
)

// TestObserverLeavesLog: an observer that reads the simulator's log keeps
// no copy of the live status's nodes and resources; given a step's scope
// to compare (begin), it takes a copy and compares from then on. Either
// way, it reports the changes, and records the deltas, that an observer
// comparing copies from the start does.
func TestObserverLeavesLog(t *testing.T) {
	var nodes []cluster.Node
	var res []cluster.Resource
	for i := range 4 {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("N%d", i), Version: "1.0"})
		res = append(res, cluster.Resource{Name: fmt.Sprintf("R%d", i), Shared: true, Preferred: []string{fmt.Sprintf("N%d", i), fmt.Sprintf("N%d", (i+1)%4)}, Failback: cluster.FailbackAuto})
	}
	c := cluster.NewCluster("C", nodes, res, nil)
	ctx := context.Background()
	type seen struct {
		Changes []Change
		Deltas  []*Delta
	}
	observe := func(logged bool, scopeAt int) seen {
		s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
		live, _ := s.Status(ctx)
		var out seen
		var o *observer
		onChange := func(_ time.Time, ch Change) { out.Changes = append(out.Changes, ch) }
		if logged {
			known := &cluster.Status{Nodes: live.Nodes, Resources: live.Resources, MediaVersion: live.MediaVersion}
			o = newObserver(s, c, known, onChange, func(string) {})
			o.useLog(s, live)
		} else {
			o = newObserver(s, c, live.Clone(), onChange, func(string) {})
		}
		ops := []func() error{
			func() error { return s.Leave(ctx, nodes[0]) },
			func() error { return s.Upgrade(ctx, nodes[0], "2.0") },
			func() error { return s.Offline(ctx, res[1]) },
			func() error { return s.Leave(ctx, nodes[2]) },
			func() error { return s.Online(ctx, res[1], nodes[1]) },
			func() error { return s.Upgrade(ctx, nodes[2], "2.0") },
		}
		for i, op := range ops {
			if i == scopeAt {
				o.begin(map[string]bool{"N3": true}, map[string]bool{"R3": true})
			} else {
				o.begin(nil, nil)
			}
			if err := op(); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Status(ctx); err != nil {
				t.Fatal(err)
			}
			out.Deltas = append(out.Deltas, o.end())
		}
		if logged && scopeAt >= 0 && o.log != nil {
			t.Errorf("given a scope at operation %d, the observer still reads the log", scopeAt)
		}
		if scopeAt >= 0 && len(o.known.Nodes) > 0 {
			for n := range live.Nodes {
				s.Leave(ctx, cluster.Node{Name: n}) // known is a copy: it does not follow
			}
			if o.known.Nodes["N3"].State != cluster.NodeUp {
				t.Errorf("given a scope, known still follows the live status")
			}
		}
		return out
	}
	want := observe(false, -1)
	if len(want.Changes) < 6 {
		t.Fatalf("only %d changes", len(want.Changes))
	}
	for _, scopeAt := range []int{-1, 0, 2, 5} {
		got := observe(true, scopeAt)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("scope at %d: the log's observer differs from the copy's (-copy +log):\n%s", scopeAt, diff)
		}
	}
}
