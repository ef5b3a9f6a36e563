package cluster

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCoversAsParsed holds Covers to its definition on parsed versions:
// the licence's components are a prefix of the version's.
func TestCoversAsParsed(t *testing.T) {
	versions := []string{"", "6", "6.5", "6.5.0", "6.5.8", "6.50", "7", "6.5.8.1", "6.5.8.1.2", "x", "6.", ".5", "6..5", "06.5", "1234567890"}
	for _, lv := range versions {
		for _, v := range versions {
			want := false
			a, err1 := ParseVersion(lv)
			b, err2 := ParseVersion(v)
			if err1 == nil && err2 == nil && len(a) <= len(b) {
				want = slices.Equal(a, b[:len(a)])
			}
			l := License{Version: lv}
			if got := l.Covers(v); got != want {
				t.Errorf("License{Version: %q}.Covers(%q) = %v; want %v", lv, v, got, want)
			}
		}
	}
}

func TestOpKey(t *testing.T) {
	for _, subj := range [][]string{nil, {"FS1"}, {"POOL1", "FS2"}, {"a", "b", "c"}} {
		if got, want := OpKey(OpMigrate, subj...), strings.Join(append([]string{OpMigrate}, subj...), " "); got != want {
			t.Errorf("OpKey(%v) = %q; want %q", subj, got, want)
		}
	}
}

// TestIndexesAsScanned holds the status's indexes (RunningOn, Down) to a
// scan of its maps, through a random sequence of changes.
func TestIndexesAsScanned(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	s := NewStatus()
	nodes := []string{"A", "B", "C", "D"}
	states := []string{ResourceRunning, ResourceRunning, ResourceOffline, ResourceUpgrade, ResourceComatose}
	for i := 0; i < 2000; i++ {
		n := nodes[rng.Intn(len(nodes))]
		if rng.Intn(4) == 0 {
			st := NodeUp
			if rng.Intn(2) == 0 {
				st = NodeDown
			}
			s.SetNode(n, NodeStatus{Version: "1", State: st})
		} else {
			s.SetResource(fmt.Sprintf("R%d", rng.Intn(12)), ResourceStatus{State: states[rng.Intn(len(states))], Node: n})
		}
		if i%7 == 3 {
			// A change of the maps themselves, then Reindex.
			s.Resources[fmt.Sprintf("R%d", rng.Intn(12))] = ResourceStatus{State: states[rng.Intn(len(states))], Node: nodes[rng.Intn(len(nodes))]}
			s.Reindex()
		}
		if i%10 == 0 {
			// A clone's indexes are those Reindex makes of its maps.
			c := s.Clone()
			fresh := &Status{Nodes: c.Nodes, Resources: c.Resources}
			fresh.Reindex()
			if diff := cmp.Diff(indexesOf(fresh), indexesOf(c), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("change %d: clone's indexes differ from a reindex (-reindexed +cloned):\n%s", i, diff)
			}
			// A clone's lists are its own.
			for _, list := range s.Clone().on {
				if len(*list) > 0 {
					(*list)[0] = "changed"
				}
			}
			if diff := cmp.Diff(indexesOf(fresh), indexesOf(s), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("change %d: a change of the clone's index changed the original's (-reindexed +original):\n%s", i, diff)
			}
			s = c
		}
		var down []string
		for _, name := range s.NodeNames() {
			if s.Nodes[name].State != NodeUp {
				down = append(down, name)
			}
		}
		if got := s.Down(); !slices.Equal(got, down) || s.NumDown() != len(down) {
			t.Fatalf("change %d: Down() = %v, NumDown() = %d; want %v", i, got, s.NumDown(), down)
		}
		for _, node := range nodes {
			want := []string{}
			for _, r := range s.ResourceNames() {
				if rs := s.Resources[r]; rs.State == ResourceRunning && rs.Node == node {
					want = append(want, r)
				}
			}
			if got := s.RunningOn(node); !slices.Equal(got, want) || got == nil {
				t.Fatalf("change %d: RunningOn(%s) = %#v; want %#v", i, node, got, want)
			}
		}
	}
}

// indexesOf is what a status's indexes say, whatever their layout: the
// nodes down, and each node's running resources (none for a node without
// an entry or with an empty list).
func indexesOf(s *Status) (out struct {
	Down map[string]bool
	On   map[string][]string
}) {
	out.Down = s.down
	out.On = map[string][]string{}
	for n, list := range s.on {
		if len(*list) > 0 {
			out.On[n] = *list
		}
	}
	return out
}

// TestHomedOnAndShared holds the cluster's indexes to a scan of its
// resources.
func TestHomedOnAndShared(t *testing.T) {
	c := NewCluster("C", []Node{{Name: "A"}, {Name: "B"}}, []Resource{
		{Name: "R1", Shared: true, Preferred: []string{"A", "B"}},
		{Name: "R2", Preferred: []string{"B", "A"}},
		{Name: "R3", Shared: true, Preferred: []string{"A"}},
		{Name: "R4", Shared: true},
		{Name: "R5", Preferred: []string{"A", "B"}, Failback: FailbackManual},
	}, nil)
	for _, n := range []string{"A", "B", "C"} {
		var want []string
		for _, r := range c.Resources {
			if r.Home() == n {
				want = append(want, r.Name)
			}
		}
		if got := c.HomedOn(n); !slices.Equal(got, want) {
			t.Errorf("HomedOn(%s) = %v; want %v", n, got, want)
		}
		// HomedResources: the declarations of the same resources, the
		// slow way looked up by name.
		var decls []Resource
		for _, name := range want {
			r, _ := c.Resource(name)
			decls = append(decls, *r)
		}
		if diff := cmp.Diff(decls, c.HomedResources(n), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("HomedResources(%s) differs from HomedOn's resources (-want +got):\n%s", n, diff)
		}
	}
	var shared []string
	for _, r := range c.Shared() {
		shared = append(shared, r.Name)
	}
	if want := []string{"R1", "R3", "R4"}; !slices.Equal(shared, want) {
		t.Errorf("Shared() = %v; want %v", shared, want)
	}
}

// TestAssignedResources holds AssignedResources and ResourceOn to Assigned
// and Resource, the slow way, with a resource declared twice and names
// that are not declared.
func TestAssignedResources(t *testing.T) {
	c := NewCluster("C", []Node{{Name: "A"}, {Name: "B"}, {Name: "C"}}, []Resource{
		{Name: "R1", Shared: true, Preferred: []string{"A", "B"}},
		{Name: "R2", Preferred: []string{"B", "A"}},
		{Name: "R3", Preferred: []string{"A"}},
		{Name: "R1", Preferred: []string{"C", "A"}},
		{Name: "R4"},
	}, nil)
	names := []string{"R1", "R2", "R3", "R4", "R5", ""}
	for _, n := range []string{"A", "B", "C", "D"} {
		var want []*Resource
		for _, r := range c.Assigned(n) {
			decl, _ := c.Resource(r)
			want = append(want, decl)
		}
		if got := c.AssignedResources(n); !slices.Equal(got, want) {
			t.Errorf("AssignedResources(%s) = %v; want %v", n, got, want)
		}
		for _, name := range names {
			got, ok := c.ResourceOn(n, name)
			want, wantOK := c.Resource(name)
			if got != want || ok != wantOK {
				t.Errorf("ResourceOn(%s, %s) = %v, %v; want %v, %v", n, name, got, ok, want, wantOK)
			}
		}
	}
}

// TestNodeIndexesAsScanned holds what the cluster says of each node name
// (Node, Assigned, AssignedResources, HomedOn, HomedResources, ResourceOn,
// ResourceAmong) to a scan of its declarations, on random clusters with
// names declared twice and preferred lists that name undeclared nodes.
func TestNodeIndexesAsScanned(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	pool := []string{"A", "B", "C", "D", "E", "F", "G", ""}
	for round := 0; round < 300; round++ {
		var nodes []Node
		for i := rng.Intn(5); i > 0; i-- {
			nodes = append(nodes, Node{Name: pool[rng.Intn(4)], Version: fmt.Sprint(i)})
		}
		var res []Resource
		for i := rng.Intn(8); i > 0; i-- {
			r := Resource{Name: fmt.Sprintf("R%d", rng.Intn(6)), Shared: rng.Intn(2) == 0, LoadScript: fmt.Sprint(i)}
			for j := rng.Intn(4); j > 0; j-- {
				r.Preferred = append(r.Preferred, pool[rng.Intn(len(pool))])
			}
			res = append(res, r)
		}
		c := NewCluster("C", nodes, res, nil)
		for _, n := range append(pool, "", "X") {
			var wantNode *Node
			for i := range nodes {
				if nodes[i].Name == n {
					wantNode = &nodes[i]
				}
			}
			if got, ok := c.Node(n); got != wantNode || ok != (wantNode != nil) {
				t.Fatalf("round %d: Node(%q) = %v, %v; want %v", round, n, got, ok, wantNode)
			}
			var assigned, homed []string
			var decls []*Resource
			var homedRes []Resource
			for _, r := range res {
				for _, p := range r.Preferred {
					if p == n {
						assigned = append(assigned, r.Name)
						d, _ := c.Resource(r.Name)
						decls = append(decls, d)
					}
				}
				if r.Home() == n && n != "" {
					homed = append(homed, r.Name)
					homedRes = append(homedRes, r)
				}
			}
			if got := c.Assigned(n); !slices.Equal(got, assigned) {
				t.Fatalf("round %d: Assigned(%q) = %v; want %v", round, n, got, assigned)
			}
			if got := c.AssignedResources(n); !slices.Equal(got, decls) {
				t.Fatalf("round %d: AssignedResources(%q) = %v; want %v", round, n, got, decls)
			}
			if got := c.HomedOn(n); !slices.Equal(got, homed) {
				t.Fatalf("round %d: HomedOn(%q) = %v; want %v", round, n, got, homed)
			}
			if diff := cmp.Diff(homedRes, c.HomedResources(n), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round %d: HomedResources(%q) (-want +got):\n%s", round, n, diff)
			}
			for i := 0; i < 7; i++ {
				name := fmt.Sprintf("R%d", i)
				want, wantOK := c.Resource(name)
				if got, ok := c.ResourceOn(n, name); got != want || ok != wantOK {
					t.Fatalf("round %d: ResourceOn(%q, %s) = %v, %v; want %v, %v", round, n, name, got, ok, want, wantOK)
				}
				if got, ok := c.ResourceAmong(c.AssignedResources(n), name); got != want || ok != wantOK {
					t.Fatalf("round %d: ResourceAmong(AssignedResources(%q), %s) = %v, %v; want %v, %v", round, n, name, got, ok, want, wantOK)
				}
			}
		}
	}
}
