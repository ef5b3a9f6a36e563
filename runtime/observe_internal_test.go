package runtime

import (
	"context"
	"fmt"
	"maps"
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

// TestDowntimeAccount: the observer's account of each resource's downtime
// (one entry a resource) tells what three maps by name told, as the
// observer kept it before: whether the runbook took it offline, since when
// it is down, its downtime in outages that ended. Over random changes and
// offline operations of a few resources, each change's Unplanned, the
// ledger a step's record carries, the downtime measured and whether the
// run took a resource offline are theirs.
func TestDowntimeAccount(t *testing.T) {
	var res []cluster.Resource
	for i := range 4 {
		res = append(res, cluster.Resource{Name: fmt.Sprintf("R%d", i), Preferred: []string{"N0"}})
	}
	c := cluster.NewCluster("C", []cluster.Node{{Name: "N0", Version: "1.0"}}, res, nil)
	ctx := context.Background()
	for seed := range 20 {
		s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
		live, _ := s.Status(ctx)
		var seen []Change
		o := newObserver(s, c, live.Clone(), func(_ time.Time, ch Change) { seen = append(seen, ch) }, func(string) {})
		// The reference: the maps the observer kept.
		offlined, downSince, downtime := map[string]bool{}, map[string]time.Time{}, map[string]time.Duration{}
		rng := uint64(seed)*2654435761 + 1
		next := func(n int) int {
			rng = rng*6364136223846793005 + 1442695040888963407
			return int(rng>>33) % n
		}
		states := []string{cluster.ResourceRunning, cluster.ResourceOffline, cluster.ResourceUpgrade, ""}
		cur := map[string]string{}
		for _, r := range res {
			cur[r.Name] = cluster.ResourceRunning
		}
		now := s.Now().Add(-1000 * time.Hour)
		for i := range 300 {
			now = now.Add(time.Duration(next(3)) * time.Minute)
			r := res[next(len(res))]
			switch next(4) {
			case 0:
				offlined[r.Name] = true
				if err := o.Offline(ctx, r); err != nil {
					t.Fatal(err)
				}
			case 1:
				l := o.ledger()
				want := &Outages{}
				for name, d := range downtime {
					if d > 0 {
						if want.Ended == nil {
							want.Ended = map[string]float64{}
						}
						want.Ended[name] = d.Seconds()
					}
				}
				if len(downSince) > 0 {
					want.Since = maps.Clone(downSince)
				}
				if d := cmp.Diff(want, l); d != "" {
					t.Fatalf("seed %d, %d: ledger (-maps +account):\n%s", seed, i, d)
				}
			default:
				from, to := cur[r.Name], states[next(len(states))]
				if from == to {
					continue
				}
				cur[r.Name] = to
				old, cr := cluster.ResourceStatus{State: from, Node: "N0"}, cluster.ResourceStatus{State: to, Node: "N0"}
				wasRunning, isRunning := from == cluster.ResourceRunning, to == cluster.ResourceRunning
				unplanned := false
				if wasRunning && !isRunning {
					unplanned = !offlined[r.Name]
					if _, earlier := downSince[r.Name]; !earlier {
						downSince[r.Name] = now
					}
				}
				if !wasRunning && isRunning {
					if since, ok := downSince[r.Name]; ok {
						downtime[r.Name] += now.Sub(since)
						delete(downSince, r.Name)
					}
					delete(offlined, r.Name)
				}
				seen = seen[:0]
				o.resource(now, r.Name, old, from != "", cr, to != "", 0)
				if len(seen) != 1 || seen[0].Unplanned != unplanned {
					t.Fatalf("seed %d, %d: %s %q -> %q: changes %+v; want one, unplanned %v", seed, i, r.Name, from, to, seen, unplanned)
				}
			}
			wantMeasured := map[string]time.Duration{}
			for name, d := range downtime {
				wantMeasured[name] = d
			}
			for name, since := range downSince {
				if d := s.Now().Sub(since); d > 0 {
					wantMeasured[name] += d
				}
			}
			if d := cmp.Diff(wantMeasured, o.measuredDowntime()); d != "" {
				t.Fatalf("seed %d, %d: measured downtime (-maps +account):\n%s", seed, i, d)
			}
			for _, r := range res {
				if o.offlined(r.Name) != offlined[r.Name] {
					t.Fatalf("seed %d, %d: offlined(%s) = %v; the map says %v", seed, i, r.Name, o.offlined(r.Name), offlined[r.Name])
				}
			}
		}
	}
}
