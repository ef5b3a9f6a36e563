package builtin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
)

// seed is the reference cluster: three nodes, two shared pools with auto
// failback, one manual resource, a licence for 6.5 from three nodes on.
func seed() *cluster.Cluster {
	return cluster.NewCluster("CL1",
		[]cluster.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}, {Name: "FS3", Version: "6.0"}},
		[]cluster.Resource{
			{Name: "POOL1", Shared: true, Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto"},
			{Name: "POOL2", Shared: true, Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "auto"},
			{Name: "WEB", Preferred: []string{"FS3", "FS1"}, Failback: "manual"},
		},
		[]cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: 3, MinNodes: 3}},
	)
}

// procedure is the whole rolling upgrade as step instances: the licence,
// each node in declared order, the media upgrade on the first node.
func procedure(c *cluster.Cluster) []*steps.Instance {
	lic, _ := c.License("ncs65")
	ins := []*steps.Instance{{Address: "step.install-license.ncs65", Type: "install-license", Args: steps.Args{"license": *lic}}}
	for _, n := range c.Nodes {
		ins = append(ins,
			&steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].upgrade-node.upgrade", n.Name), Type: "upgrade-node", Args: steps.Args{"node": n, "to": "6.5"}},
			&steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].await-failback.failback", n.Name), Type: "await-failback", Args: steps.Args{"node": n}},
		)
	}
	return append(ins, &steps.Instance{Address: "step.media-upgrade.pools", Type: "media-upgrade", Args: steps.Args{"on": c.Nodes[0]}})
}

// runAll runs the instances in order, as the runtime does, and returns the
// first problem or error.
func runAll(t *testing.T, env *steps.Env, ins []*steps.Instance) error {
	t.Helper()
	return runProcedure(env, ins, false)
}

func TestWholeProcedure(t *testing.T) {
	c := seed()
	tm := sim.DefaultTimings()
	s := sim.New(c, sim.Options{Timings: tm})
	env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
	if err := runAll(t, env, procedure(c)); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(context.Background())
	for _, n := range c.Nodes {
		if got := st.Nodes[n.Name]; got != (cluster.NodeStatus{Version: "6.5", State: "up", Media: "6.5"}) {
			t.Errorf("node %s = %+v; want up at 6.5, media read at 6.5", n.Name, got)
		}
	}
	for _, r := range c.Resources {
		if got := st.Resources[r.Name]; got.State != "running" || got.Node != r.Home() {
			t.Errorf("resource %s = %+v; want running on %s", r.Name, got, r.Home())
		}
	}
	if st.MediaVersion != "6.5" {
		t.Errorf("media = %s; want 6.5", st.MediaVersion)
	}
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, s.Upgrades()); diff != "" {
		t.Errorf("upgrades (-want +got):\n%s", diff)
	}
	// Each resource moves twice (failover, failback); the pools also wait
	// out the media upgrade and the two refreshes, which run at once.
	media := tm.MediaUpgrade + tm.MediaRefresh
	want := map[string]time.Duration{"POOL1": 2*tm.Migrate + media, "POOL2": 2*tm.Migrate + media, "WEB": 2 * tm.Migrate}
	if diff := cmp.Diff(want, s.Downtime()); diff != "" {
		t.Errorf("downtime (-want +got):\n%s", diff)
	}
}

func TestChecks(t *testing.T) {
	c := seed()
	ins := procedure(c)
	for _, tc := range []struct {
		name string
		ins  []*steps.Instance
		want string
	}{
		{"licence skipped", ins[1:], "License not installed (R1)"},
		{"media before upgrades", []*steps.Instance{ins[0], ins[len(ins)-1]}, "Media already at the nodes' version (R7)"},
		{"media with one node left", append(append([]*steps.Instance{}, ins[:5]...), ins[len(ins)-1]), "Media upgrade before every node is upgraded (R7)"},
		{"upgraded twice", []*steps.Instance{ins[0], ins[1], ins[2], ins[1]}, "Upgrade not above current version (R2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
			env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
			err := runAll(t, env, tc.ins)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestR3Outage(t *testing.T) {
	c := cluster.NewCluster("CL", []cluster.Node{{Name: "A", Version: "1.0"}, {Name: "B", Version: "1.0"}},
		[]cluster.Resource{{Name: "LONELY", Preferred: []string{"A"}, Failback: "auto"}}, nil)
	a, _ := c.Node("A")
	in := &steps.Instance{Address: "step.upgrade-node.a", Type: "upgrade-node", Args: steps.Args{"node": *a, "to": "2.0"}}
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	env := &steps.Env{Cluster: c, Driver: s}
	st, _ := s.Status(context.Background())
	probs := builtin.Registry()["upgrade-node"].Check(env, st, in)
	if len(probs) != 1 || probs[0].Rule != "R3" || !strings.Contains(probs[0].Detail, "LONELY") {
		t.Fatalf("problems = %+v; want one R3 naming LONELY", probs)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		fault sim.Fault
		want  string
	}{
		{sim.Fault{Kind: sim.FaultRebootFails, Target: "FS2"}, "FS2 to rejoin at 6.5: FS2 is down at 6.0"},
		{sim.Fault{Kind: sim.FaultFailbackStalls, Target: "POOL2"}, "POOL2 still on FS3"},
		{sim.Fault{Kind: sim.FaultLicenseRejected, Target: "ncs65"}, "rejected licence ncs65"},
		{sim.Fault{Kind: sim.FaultMediaUpgradeFails, Target: "FS3"}, "refreshing the media on FS3"},
		{sim.Fault{Kind: sim.FaultUpgradeInDoubt, Target: "FS1"}, "in doubt"},
		{sim.Fault{Kind: sim.FaultMigrateFails, Target: "WEB"}, "moving WEB back to FS3"},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			c := seed()
			s := sim.New(c, sim.Options{Timings: sim.DefaultTimings(), Faults: []sim.Fault{tc.fault}})
			env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
			err := runAll(t, env, procedure(c))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
			st, _ := s.Status(context.Background())
			for _, name := range st.ResourceNames() {
				if rs := st.Resources[name]; rs.State == cluster.ResourceUpgrade {
					t.Errorf("resource %s left in state upgrade", name)
				}
			}
		})
	}
}

// TestStalledAutoFailbackIsMoved: an auto resource that stays away (a
// failback that stalled before a resume) is moved home after the grace.
func TestStalledAutoFailbackIsMoved(t *testing.T) {
	c := seed()
	tm := sim.DefaultTimings()
	s := sim.New(c, sim.Options{Timings: tm})
	env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
	ctx := context.Background()
	fs1, _ := c.Node("FS1")
	fs2, _ := c.Node("FS2")
	pool1, _ := c.Resource("POOL1")
	if err := s.Migrate(ctx, *pool1, *fs2); err != nil {
		t.Fatal(err)
	}
	in := &steps.Instance{Address: "step.await-failback.x", Type: "await-failback", Args: steps.Args{"node": *fs1}}
	typ := builtin.Registry()["await-failback"]
	start := s.Now()
	if err := typ.Run(ctx, env, in, start.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(ctx)
	if !typ.Done(env, st, in) {
		t.Fatalf("POOL1 = %+v; want back on FS1", st.Resources["POOL1"])
	}
	if waited := s.Now().Sub(start); waited < 5*time.Minute || waited > 6*time.Minute {
		t.Errorf("moved after %s; want after the grace of half the timeout", waited)
	}
}

// TestIssuedUpgradeIsNotRepeated: when an interrupted attempt issued the
// upgrade, a resumed upgrade-node waits for the node instead of upgrading it
// a second time, and says so when it never comes back.
func TestIssuedUpgradeIsNotRepeated(t *testing.T) {
	c := seed()
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	ctx := context.Background()
	lic, _ := c.License("ncs65")
	_ = s.InstallLicense(ctx, *lic)
	fs1, _ := c.Node("FS1")
	_ = s.Leave(ctx, *fs1) // down at 6.0, as if rebooting into the upgrade
	env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second, Issued: map[string]bool{cluster.OpKey(cluster.OpUpgrade, "FS1"): true}}
	in := &steps.Instance{Address: "x", Type: "upgrade-node", Args: steps.Args{"node": *fs1, "to": "6.5"}}
	err := builtin.Registry()["upgrade-node"].Run(ctx, env, in, s.Now().Add(10*time.Minute))
	if err == nil || !strings.Contains(err.Error(), "issued by the interrupted attempt") {
		t.Fatalf("err = %v; want a timeout naming the earlier upgrade", err)
	}
	if n := s.Upgrades()["FS1"]; n != 0 {
		t.Fatalf("FS1 upgraded %d times; want 0 (not re-issued)", n)
	}
	// The retry after that failure starts afresh (no Issued): it upgrades.
	env.Issued = nil
	if err := builtin.Registry()["upgrade-node"].Run(ctx, env, in, s.Now().Add(45*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := s.Upgrades()["FS1"]; n != 1 {
		t.Fatalf("FS1 upgraded %d times; want 1", n)
	}
}

// TestMediaRefreshResumed: a media upgrade whose refresh failed on a node is
// not done when resumed: the resumed step refreshes the nodes that have not
// read the upgraded media, without taking the resources offline again.
func TestMediaRefreshResumed(t *testing.T) {
	c := seed()
	dir := t.TempDir()
	tm := sim.DefaultTimings()
	s, err := sim.Open(teststore.Dir(dir), c, sim.Options{Timings: tm, Faults: []sim.Fault{{Kind: sim.FaultMediaUpgradeFails, Target: "FS3"}}})
	if err != nil {
		t.Fatal(err)
	}
	ins := procedure(c)
	env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
	if err := runAll(t, env, ins); err == nil || !strings.Contains(err.Error(), "refreshing the media on FS3") {
		t.Fatalf("err = %v; want the refresh on FS3 to fail", err)
	}
	s.Close()
	s, err = sim.Open(teststore.Dir(dir), c, sim.Options{Timings: tm})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env.Driver = s
	media := ins[len(ins)-1]
	typ := builtin.Registry()["media-upgrade"]
	st, _ := s.Status(context.Background())
	if typ.Done(env, st, media) {
		t.Fatal("media-upgrade counts as done although FS3 never read the upgraded media")
	}
	before := s.Downtime()
	if err := runAll(t, env, []*steps.Instance{media}); err != nil {
		t.Fatal(err)
	}
	if got := st.Nodes["FS3"].Media; got != "6.5" {
		t.Errorf("FS3 read media %q; want 6.5", got)
	}
	for _, r := range c.Resources {
		if rs := st.Resources[r.Name]; rs.State != "running" || rs.Node != r.Home() {
			t.Errorf("%s = %+v; want running at home on %s", r.Name, rs, r.Home())
		}
	}
	for name, d := range s.Downtime() {
		if extra := d - before[name]; extra > tm.Migrate {
			t.Errorf("%s was down %s more in the resumed step; want at most one move (%s), never a second media outage", name, extra, tm.Migrate)
		}
	}
}
