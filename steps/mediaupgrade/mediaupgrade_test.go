package mediaupgrade_test

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
	"github.com/runbookhq/runbook/steps/mediaupgrade"
)

// upgraded returns a simulator of n nodes that all run 6.5 on media at 6.0,
// with shared resources spread over the first nodes, and the step instance
// of a media upgrade from N1.
func upgraded(t *testing.T, n int, tm sim.Timings, args steps.Args) (*sim.Sim, *cluster.Cluster, *steps.Instance) {
	t.Helper()
	var nodes []cluster.Node
	for i := 1; i <= n; i++ {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("N%d", i), Version: "6.0"})
	}
	var res []cluster.Resource
	for i := 0; i < 3 && i < n; i++ {
		var pref []string
		for j := 0; j < n && j < 3; j++ {
			pref = append(pref, nodes[(i+j)%n].Name)
		}
		res = append(res, cluster.Resource{Name: fmt.Sprintf("POOL%d", i+1), Shared: true, Preferred: pref, Failback: cluster.FailbackAuto})
	}
	c := cluster.NewCluster("CL", nodes, res, nil)
	s := sim.New(c, sim.Options{Timings: sim.Timings{MediaUpgrade: tm.MediaUpgrade, MediaRefresh: tm.MediaRefresh}})
	ctx := context.Background()
	for _, nd := range nodes {
		if err := s.Upgrade(ctx, nd, "6.5"); err != nil {
			t.Fatal(err)
		}
	}
	on, _ := c.Node("N1")
	if args == nil {
		args = steps.Args{}
	}
	args["on"] = *on
	return s, c, &steps.Instance{Address: "step.media-upgrade.m", Type: "media-upgrade", Args: args, Timeout: 2 * time.Hour}
}

// mediaDowntime runs the media upgrade and returns each pool's downtime in it.
func mediaDowntime(t *testing.T, n int, args steps.Args) map[string]time.Duration {
	t.Helper()
	tm := sim.DefaultTimings()
	s, c, in := upgraded(t, n, tm, args)
	before := s.Downtime()
	env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
	typ := mediaupgrade.Type{}
	st, _ := s.Status(context.Background())
	if probs := typ.Check(env, st, in); len(probs) > 0 {
		t.Fatalf("%d nodes: preconditions: %v", n, probs)
	}
	if err := typ.Run(context.Background(), env, in, s.Now().Add(in.Timeout)); err != nil {
		t.Fatalf("%d nodes: %v", n, err)
	}
	st, _ = s.Status(context.Background())
	if !typ.Done(env, st, in) {
		t.Fatalf("%d nodes: not done after its run: %+v", n, st)
	}
	out := map[string]time.Duration{}
	for name, d := range s.Downtime() {
		out[name] = d - before[name]
	}
	return out
}

// TestRefreshInParallel: the media upgrade's downtime is the upgrade plus
// one refresh, whatever the cluster's size.
func TestRefreshInParallel(t *testing.T) {
	tm := sim.DefaultTimings()
	want := tm.MediaUpgrade + tm.MediaRefresh
	for _, n := range []int{3, 32, 1000} {
		for name, d := range mediaDowntime(t, n, nil) {
			if d != want {
				t.Errorf("%d nodes: %s down %s; want %s", n, name, d, want)
			}
		}
	}
}

// TestRefreshParallelism: at most parallelism nodes refresh at once.
func TestRefreshParallelism(t *testing.T) {
	tm := sim.DefaultTimings()
	for _, tc := range []struct{ nodes, limit, rounds int }{{32, 4, 8}, {32, 1, 31}, {3, 5, 1}, {1000, 100, 10}} {
		want := tm.MediaUpgrade + time.Duration(tc.rounds)*tm.MediaRefresh
		for name, d := range mediaDowntime(t, tc.nodes, steps.Args{"parallelism": tc.limit}) {
			if d != want {
				t.Errorf("%d nodes, parallelism %d: %s down %s; want %s", tc.nodes, tc.limit, name, d, want)
			}
		}
	}
}

func TestParallelismCheck(t *testing.T) {
	s, c, in := upgraded(t, 3, sim.DefaultTimings(), steps.Args{"parallelism": 0})
	st, _ := s.Status(context.Background())
	probs := mediaupgrade.Type{}.Check(&steps.Env{Cluster: c, Driver: s}, st, in)
	if len(probs) != 1 || probs[0].Attr != "parallelism" {
		t.Errorf("problems %v; want one about parallelism", probs)
	}
}

var errKilled = errors.New("killed")

// crashing is a driver that dies after its k-th operation (0: never): that
// operation takes effect, then every call fails, as after a kill. It
// counts every operation issued across attempts. With offline set, its
// status reports resources in the state upgrade as offline on no node, as
// some status commands do.
type crashing struct {
	*sim.Sim
	k, n    int
	offline bool
	issued  map[string]bool
	twice   []string
}

func (d *crashing) dead() bool { return d.k > 0 && d.n >= d.k }

func (d *crashing) op(key string, f func() error) error {
	if d.dead() {
		return errKilled
	}
	d.n++
	if d.issued[key] {
		d.twice = append(d.twice, key)
	}
	d.issued[key] = true
	return f()
}

func (d *crashing) Status(ctx context.Context) (*cluster.Status, error) {
	if d.dead() {
		return nil, errKilled
	}
	st, err := d.Sim.Status(ctx)
	if err != nil || !d.offline {
		return st, err
	}
	st = st.Clone()
	for name, rs := range st.Resources {
		if rs.State == cluster.ResourceUpgrade {
			st.SetResource(name, cluster.ResourceStatus{State: cluster.ResourceOffline})
		}
	}
	return st, nil
}

func (d *crashing) Offline(ctx context.Context, r cluster.Resource) error {
	return d.op(cluster.OpKey(cluster.OpOffline, r.Name), func() error { return d.Sim.Offline(ctx, r) })
}

func (d *crashing) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return d.op(cluster.OpKey(cluster.OpOnline, r.Name, n.Name), func() error { return d.Sim.Online(ctx, r, n) })
}

func (d *crashing) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return d.op(cluster.OpKey(cluster.OpMigrate, r.Name, n.Name), func() error { return d.Sim.Migrate(ctx, r, n) })
}

func (d *crashing) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	return d.op(cluster.OpKey(cluster.OpMediaUpgrade, n.Name), func() error { return d.Sim.MediaUpgrade(ctx, n) })
}

func (d *crashing) MediaRefresh(ctx context.Context, n cluster.Node) error {
	return d.op(cluster.OpKey(cluster.OpMediaRefresh, n.Name), func() error { return d.Sim.MediaRefresh(ctx, n) })
}

// TestResumeAnywhere interrupts the media upgrade after each of its
// operations in turn (after the offlines, the media upgrade, some
// refreshes, some onlines), with the status reporting the resources taken
// offline as upgrade or as offline on no node, and resumes it as the
// runtime does: with the operations the interrupted attempt issued
// (env.Issued) and the cluster before it (env.Before). The resumed step
// issues no operation twice, and ends with every node on the new media and
// every resource back on the node it ran on.
func TestResumeAnywhere(t *testing.T) {
	typ := mediaupgrade.Type{}
	ctx := context.Background()
	for _, offline := range []bool{false, true} {
		for k := 1; ; k++ {
			s, c, in := upgraded(t, 5, sim.DefaultTimings(), steps.Args{"parallelism": 2})
			// Run the pools away from home first, so that "where it ran"
			// is not the home node.
			pool1, _ := c.Resource("POOL1")
			n2, _ := c.Node("N2")
			if err := s.Migrate(ctx, *pool1, *n2); err != nil {
				t.Fatal(err)
			}
			st0, _ := s.Status(ctx)
			before := st0.Clone()
			d := &crashing{Sim: s, k: k, offline: offline, issued: map[string]bool{}}
			env := &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second}
			err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout))
			if err == nil {
				if k == 1 {
					t.Fatal("the media upgrade issued no operation")
				}
				t.Logf("offline=%v: %d operations", offline, k-1)
				break // k is past the last operation
			}
			if !errors.Is(err, errKilled) {
				t.Fatalf("offline=%v, killed after operation %d: %v", offline, k, err)
			}

			issued := map[string]bool{}
			for op := range d.issued {
				issued[op] = true
			}
			d.k = 0
			env = &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second, Issued: issued, Before: before}
			st, _ := d.Status(ctx)
			if !typ.Done(env, st, in) {
				if probs := typ.Check(env, st, in); len(probs) > 0 {
					t.Fatalf("offline=%v, killed after operation %d: the resumed step's preconditions: %v", offline, k, probs)
				}
				if err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil {
					t.Fatalf("offline=%v, killed after operation %d: resumed: %v", offline, k, err)
				}
			}
			st, _ = d.Status(ctx)
			if !typ.Done(env, st, in) {
				t.Errorf("offline=%v, killed after operation %d: not done after the resumed run", offline, k)
			}
			if len(d.twice) > 0 {
				t.Errorf("offline=%v, killed after operation %d: issued twice: %v", offline, k, d.twice)
			}
			got := map[string]cluster.ResourceStatus{}
			want := map[string]cluster.ResourceStatus{}
			for name, rs := range before.Resources {
				want[name] = rs
				got[name] = st.Resources[name]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("offline=%v, killed after operation %d: resources (-before +after):\n%s", offline, k, diff)
			}
			for _, name := range st.NodeNames() {
				if m := st.Nodes[name].Media; m != "6.5" {
					t.Errorf("offline=%v, killed after operation %d: %s reads media %s", offline, k, name, m)
				}
			}
		}
	}
}
