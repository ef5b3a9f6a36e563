package sim

import (
	"context"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/teststore"
)

func testCluster() *cluster.Cluster {
	return cluster.NewCluster("CL",
		[]cluster.Node{{Name: "A", Version: "1.0"}, {Name: "B", Version: "1.0"}, {Name: "C", Version: "1.0"}},
		[]cluster.Resource{
			{Name: "R1", Shared: true, Preferred: []string{"A", "B", "C"}, Failback: "auto"},
			{Name: "R2", Preferred: []string{"A", "C"}, Failback: "manual"},
			{Name: "R3", Preferred: []string{"B"}, Failback: "auto"},
		},
		[]cluster.License{{Name: "l2", Product: "P", Version: "2", MinNodes: 3, Seats: 3}})
}

func node(c *cluster.Cluster, name string) cluster.Node { n, _ := c.Node(name); return *n }
func res(c *cluster.Cluster, name string) cluster.Resource {
	r, _ := c.Resource(name)
	return *r
}

func TestFailoverAndFailback(t *testing.T) {
	c := testCluster()
	tm := DefaultTimings()
	s := New(c, Options{Timings: tm})
	ctx := context.Background()
	if err := s.Leave(ctx, node(c, "A")); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(ctx)
	want := map[string]cluster.ResourceStatus{
		"R1": {State: "running", Node: "B"}, // next preferred up
		"R2": {State: "running", Node: "C"}, // B is not in its list
		"R3": {State: "running", Node: "B"},
	}
	if diff := cmp.Diff(want, st.Resources); diff != "" {
		t.Fatalf("after leave (-want +got):\n%s", diff)
	}
	if err := s.Upgrade(ctx, node(c, "A"), "2"); err != nil {
		t.Fatal(err)
	}
	if st.Up("A") {
		t.Fatal("A rejoined without its licence (R1)")
	}
	if err := s.InstallLicense(ctx, c.Licenses[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Upgrade(ctx, node(c, "A"), "2"); err != nil {
		t.Fatal(err)
	}
	want["R1"] = cluster.ResourceStatus{State: "running", Node: "A"} // auto failback; R2 is manual
	if diff := cmp.Diff(want, st.Resources); diff != "" {
		t.Fatalf("after rejoin (-want +got):\n%s", diff)
	}
	if got := s.Upgrades()["A"]; got != 1 {
		t.Errorf("upgrades of A = %d; want 1", got)
	}
	// R3 has only B: B leaving is an outage, which lasts until B is back.
	before := s.Now()
	if err := s.Leave(ctx, node(c, "B")); err != nil {
		t.Fatal(err)
	}
	if rs := st.Resources["R3"]; rs.State != "offline" {
		t.Fatalf("R3 = %+v; want offline", rs)
	}
	if err := s.Upgrade(ctx, node(c, "B"), "2"); err != nil {
		t.Fatal(err)
	}
	if rs := st.Resources["R3"]; rs != (cluster.ResourceStatus{State: "running", Node: "B"}) {
		t.Fatalf("R3 = %+v; want back on B", rs)
	}
	if got, want := s.Downtime()["R3"], s.Now().Sub(before)-tm.Leave; got != want {
		t.Errorf("R3 downtime = %s; want %s", got, want)
	}
}

func TestPersistence(t *testing.T) {
	c := testCluster()
	path := filepath.Join(t.TempDir(), "sim.json")
	ctx := context.Background()
	s, err := Open(teststore.Dir(filepath.Dir(path)), c, Options{Timings: DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.InstallLicense(ctx, c.Licenses[0])
	_ = s.Upgrade(ctx, node(c, "A"), "2")
	_ = s.Migrate(ctx, res(c, "R2"), node(c, "A"))
	want, _ := s.Status(ctx)
	wantClock, wantDown := s.Now(), s.Downtime()
	// No Close: as if the process was killed. Add a torn line too.
	f, _ := os.OpenFile(path+".log", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"nodes":{"A":{"vers`)
	f.Close()

	r, err := Open(teststore.Dir(filepath.Dir(path)), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.Status(ctx)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(cluster.Status{})); diff != "" {
		t.Errorf("status after reopen (-want +got):\n%s", diff)
	}
	if !r.Now().Equal(wantClock) {
		t.Errorf("clock = %s; want %s", r.Now(), wantClock)
	}
	if diff := cmp.Diff(wantDown, r.Downtime()); diff != "" {
		t.Errorf("downtime (-want +got):\n%s", diff)
	}
	if got.RunningOn("A")[0] != "R1" {
		t.Errorf("index not rebuilt: running on A = %v", got.RunningOn("A"))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestParseFault(t *testing.T) {
	if f, err := ParseFault("reboot-fails:FS2"); err != nil || f != (Fault{Kind: FaultRebootFails, Target: "FS2"}) {
		t.Errorf("ParseFault = %v, %v", f, err)
	}
	for _, bad := range []string{"reboot-fails", "explode:FS1", "reboot-fails:"} {
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) succeeded", bad)
		}
	}
}

func TestInstantAndLenient(t *testing.T) {
	c := testCluster()
	s := New(c, Options{Timings: DefaultTimings(), Instant: true, Lenient: true})
	ctx := context.Background()
	if err := s.Upgrade(ctx, node(c, "A"), "2"); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(ctx)
	if !st.Up("A") || !s.Now().Equal(Epoch) {
		t.Errorf("lenient instant upgrade: A up=%v, clock moved %s", st.Up("A"), s.Now().Sub(Epoch))
	}
}

// TestChanged holds the change tracker to what a comparison of whole
// statuses finds: each operation's changed nodes and resources, sorted,
// once each; everything on a New simulator's first call, which knows of no
// earlier one; only what changed since it was opened on an opened one.
func TestChanged(t *testing.T) {
	c := testCluster()
	ctx := context.Background()
	type want struct{ nodes, resources []string }
	check := func(s *Sim, w want) {
		t.Helper()
		nodes, resources, _ := s.Changed()
		if diff := cmp.Diff(w, want{nodes, resources}, cmp.AllowUnexported(want{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Changed (-want +got):\n%s", diff)
		}
	}
	s := New(c, Options{Timings: DefaultTimings()})
	check(s, want{[]string{"A", "B", "C"}, []string{"R1", "R2", "R3"}})
	check(s, want{})
	before := s.st.Status.Clone()
	_ = s.InstallLicense(ctx, c.Licenses[0])
	_ = s.Upgrade(ctx, node(c, "A"), "2") // A leaves and rejoins; R1 and R2 move away and back
	_ = s.Migrate(ctx, res(c, "R2"), node(c, "A"))
	after := s.st.Status
	var differ want
	for _, n := range after.NodeNames() {
		if before.Nodes[n] != after.Nodes[n] {
			differ.nodes = append(differ.nodes, n)
		}
	}
	for _, r := range after.ResourceNames() {
		if before.Resources[r] != after.Resources[r] {
			differ.resources = append(differ.resources, r)
		}
	}
	if len(differ.nodes) == 0 {
		t.Fatal("the operations changed no node")
	}
	// A resource that moved away and back is reported too: a status read
	// in between would have seen it elsewhere.
	check(s, want{differ.nodes, []string{"R1", "R2"}})
	check(s, want{})

	dir := t.TempDir()
	o, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	_ = o.Leave(ctx, node(c, "B"))
	check(o, want{[]string{"B"}, []string{"R3"}}) // R3 has no other node: offline
}

// TestChangedStatuses holds ChangedStatuses to the slow way: a copy of the
// status at each call, compared with the status at the next, through a
// random sequence of operations (with faults). Each name it lists is one
// Changed lists, with what the copy and the status say of it (a resource
// that moved away and back is listed, unchanged, as Changed lists it).
func TestChangedStatuses(t *testing.T) {
	c := testCluster()
	ctx := context.Background()
	rng := rand.New(rand.NewSource(1))
	s := New(c, Options{Timings: DefaultTimings(), Faults: []Fault{{Kind: FaultMigrateFails, Target: "R3"}}})
	if _, _, _, ok := s.ChangedStatuses(); ok {
		t.Fatal("the first call says what changed, though nothing was tracked")
	}
	nodes := []string{"A", "B", "C"}
	resources := []string{"R1", "R2", "R3"}
	before := s.st.Status.Clone()
	// What the last call returned, and a copy: valid until the next call,
	// through the operations before it.
	var lastNs, keptNs []cluster.NodeChange
	var lastRs, keptRs []cluster.ResourceChange
	for i := 0; i < 300; i++ {
		// Some rounds make more changes than a call sorts in place.
		for k := rng.Intn([]int{4, 4, 24}[i%3]); k > 0; k-- {
			n, r := node(c, nodes[rng.Intn(3)]), res(c, resources[rng.Intn(3)])
			switch rng.Intn(7) {
			case 0:
				_ = s.Leave(ctx, n)
			case 1:
				_ = s.Upgrade(ctx, n, []string{"1.0", "2"}[rng.Intn(2)])
			case 2:
				_ = s.Migrate(ctx, r, n)
			case 3:
				_ = s.Offline(ctx, r)
			case 4:
				_ = s.Online(ctx, r, n)
			case 5:
				_ = s.InstallLicense(ctx, c.Licenses[0])
			default:
				_ = s.MediaRefresh(ctx, n)
			}
		}
		if !slices.Equal(lastNs, keptNs) || !slices.Equal(lastRs, keptRs) {
			t.Fatalf("round %d: the operations changed what the last call returned", i)
		}
		after := s.st.Status
		// The status's indexes, kept as the operations change it (through
		// what each read of it), are those of its maps.
		fresh := &cluster.Status{Nodes: maps.Clone(after.Nodes), Resources: maps.Clone(after.Resources)}
		fresh.Reindex()
		if got, want := after.Down(), fresh.Down(); !slices.Equal(got, want) {
			t.Fatalf("round %d: nodes down %v; the maps say %v", i, got, want)
		}
		for _, n := range nodes {
			if got, want := after.RunningOn(n), fresh.RunningOn(n); !slices.Equal(got, want) {
				t.Fatalf("round %d: running on %s %v; the maps say %v", i, n, got, want)
			}
		}
		var names []string
		var ns []cluster.NodeChange
		var rs []cluster.ResourceChange
		if i%2 == 0 {
			var nn, rn []string
			nn, rn, _ = s.Changed()
			lastNs, keptNs, lastRs, keptRs = nil, nil, nil, nil
			names = append(append(names, nn...), rn...)
		} else {
			ns, rs, _, _ = s.ChangedStatuses()
			lastNs, keptNs, lastRs, keptRs = ns, slices.Clone(ns), rs, slices.Clone(rs)
			for _, c := range ns {
				names = append(names, c.Name)
				old, had := before.Nodes[c.Name]
				cur, has := after.Nodes[c.Name]
				if want := (cluster.NodeChange{Name: c.Name, Old: old, New: cur, Had: had, Has: has}); c != want {
					t.Fatalf("round %d: node change %+v; the copies say %+v", i, c, want)
				}
			}
			for _, c := range rs {
				names = append(names, c.Name)
				old, had := before.Resources[c.Name]
				cur, has := after.Resources[c.Name]
				if want := (cluster.ResourceChange{Name: c.Name, Old: old, New: cur, Had: had, Has: has}); c != want {
					t.Fatalf("round %d: resource change %+v; the copies say %+v", i, c, want)
				}
			}
		}
		// Every name whose status differs is listed, in order, once.
		var differ []string
		for _, n := range after.NodeNames() {
			if before.Nodes[n] != after.Nodes[n] {
				differ = append(differ, n)
			}
		}
		for _, r := range after.ResourceNames() {
			if before.Resources[r] != after.Resources[r] {
				differ = append(differ, r)
			}
		}
		for _, d := range differ {
			if !slices.Contains(names, d) {
				t.Fatalf("round %d: %s changed, but is not listed in %v", i, d, names)
			}
		}
		if !slices.IsSortedFunc(names[:len(ns)], strings.Compare) || !slices.IsSorted(names[len(ns):]) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Fatalf("round %d: names listed out of order or twice: %v", i, names)
		}
		before = after.Clone()
	}
}

// TestNoDowntime: a simulator that keeps no account of downtime goes
// through the same statuses and clock as one that does, and reports no
// downtime.
func TestNoDowntime(t *testing.T) {
	c := testCluster()
	ctx := context.Background()
	var sims []*Sim
	for _, no := range []bool{false, true} {
		s := New(c, Options{Timings: DefaultTimings(), Instant: true, Lenient: true, NoDowntime: no})
		_ = s.Leave(ctx, node(c, "A"))
		_ = s.Upgrade(ctx, node(c, "A"), "2.0")
		_ = s.Sleep(ctx, time.Hour)
		_ = s.Offline(ctx, res(c, "R1"))
		_ = s.Online(ctx, res(c, "R1"), node(c, "B"))
		sims = append(sims, s)
	}
	want, _ := sims[0].Status(ctx)
	got, _ := sims[1].Status(ctx)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(cluster.Status{})); diff != "" || !sims[0].Now().Equal(sims[1].Now()) {
		t.Errorf("with NoDowntime: clock %s, want %s; status (-want +got):\n%s", sims[1].Now(), sims[0].Now(), diff)
	}
	if d := sims[1].Downtime(); d != nil {
		t.Errorf("with NoDowntime, Downtime reports %v", d)
	}
	if d := sims[0].Downtime(); len(d) == 0 {
		t.Error("without NoDowntime, Downtime reports nothing")
	}
}
