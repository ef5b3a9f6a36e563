package pacemaker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
)

// cib-banned.xml: an operator's ban of rA from n2 (its failover node from
// n1), a rule that bans rC from nodes with rack=b (n1, rC's failover node
// from n3), and an expired ban of rB from n2.
func TestLeaveRefusedByOperatorBan(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-banned.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	err := d.Leave(context.Background(), cluster.Node{Name: "n1"})
	var pe *PlacementError
	if !errors.As(err, &pe) || errors.Is(err, cluster.ErrInDoubt) {
		t.Fatalf("err = %v, want a PlacementError", err)
	}
	want := "resource rA: would go to n3 when n1 leaves, not to n2 as its preferred list (n1, n2, n3) says: n3 100 (loc-rA-n3 100); n2 -INFINITY (loc-rA-n2 200, cli-ban-rA-on-n2 -INFINITY), not allowed"
	if len(pe.Refusals) != 1 || pe.Refusals[0].String() != want {
		t.Errorf("refusals %v\nwant %s", pe.Refusals, want)
	}
	if !strings.Contains(err.Error(), "crm_resource --clear --resource R") {
		t.Errorf("no advice in %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("commands issued although refused: %v", f.calls)
	}
	// The expired ban of rB from n2 does not count: n2 may leave (rB to n3).
	if err := d.Leave(context.Background(), cluster.Node{Name: "n2"}); err != nil {
		t.Errorf("leave n2: %v", err)
	}
}

func TestPreflightNamesEveryPlacement(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-banned.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	d.cfg.Leaves = []Leave{{"n1", "2.0"}, {"n2", "2.0"}, {"n3", "2.0"}}
	err := Preflight(context.Background(), d, testResources)
	var drift *DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("err = %v, want a DriftError", err)
	}
	var got []string
	for _, r := range drift.Placements {
		got = append(got, r.Node+" "+r.Resource+" "+strings.SplitN(r.Reason, ":", 2)[0])
	}
	want := []string{
		"n1 rA would go to n3 when n1 leaves, not to n2 as its preferred list (n1, n2, n3) says",
		"n3 rC would go to n2 when n3 leaves, not to n1 as its preferred list (n3, n1, n2) says",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s\n%v", diff, err)
	}
	if !strings.Contains(err.Error(), "no-rack-b -INFINITY") || !strings.Contains(drift.Summary(), "2 place(s)") {
		t.Errorf("the rule's constraint is not named: %v", err)
	}
	// A node already at its version does not leave again.
	f.versions["n1"] = "2.0"
	f.versions["n3"] = "2.0"
	if err := Preflight(context.Background(), d, testResources); err != nil {
		t.Errorf("with n1 and n3 upgraded: %v", err)
	}
}

func TestStrandedResource(t *testing.T) {
	cib, err := parseCIB(readTestdata(t, "cib-banned.xml"))
	if err != nil {
		t.Fatal(err)
	}
	mon, err := parseMonitor(readTestdata(t, "crm_mon-healthy.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// svcT may run on n2 and n1 only (asymmetric), and an operator banned
	// it from n1: leaving n2 strands it.
	cib.Symmetric = false
	cib.Locations = append(cib.Locations,
		location{ID: "loc-svcT-n2", Rsc: "svcT", Node: "n2", Score: "200"},
		location{ID: "loc-svcT-n1", Rsc: "svcT", Node: "n1", Score: "100"},
		location{ID: "cli-ban-svcT-on-n1", Rsc: "svcT", Node: "n1", Score: "-INFINITY"})
	mon.Resources = append(mon.Resources, monResource{ID: "svcT", Active: true, Nodes: []string{"n2"}})
	d := newFake(t, &fakeRunner{})
	d.cfg.Resources = append(d.cfg.Resources, cluster.Resource{Name: "svcT", Preferred: []string{"n2", "n1"}})
	got := d.leaveRefusals(mon, cib, "n2", false, time.Now())
	want := "resource svcT: would have nowhere to run when n2 leaves: n1 -INFINITY (loc-svcT-n1 100, cli-ban-svcT-on-n1 -INFINITY), not allowed; n2 200 (loc-svcT-n2 200), leaving; n3 0 (no location constraint), not enabled by any constraint (symmetric-cluster=false)"
	if len(got) != 1 || got[0].String() != want {
		t.Errorf("refusals %v\nwant %s", got, want)
	}
}

func TestMoveRefusedByBan(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-after-failback.xml", cibFile: "cib-banned.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	err := d.Migrate(context.Background(), cluster.Resource{Name: "rA"}, cluster.Node{Name: "n2"})
	var pe *PlacementError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "resource rA: cannot run on n2: n2 -INFINITY (loc-rA-n2 200, cli-ban-rA-on-n2 -INFINITY)") {
		t.Fatalf("err = %v, want the move refused, naming the ban", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("commands issued although refused: %v", f.calls)
	}
}

// An auto resource whose home does not score highest would not fail back by
// itself; a manual one whose home is banned could not be moved there.
func TestFailbackRefusal(t *testing.T) {
	cib, err := parseCIB(readTestdata(t, "cib-mixed-versions.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cib.Locations = append(cib.Locations,
		location{ID: "cli-prefer-rA", Rsc: "rA", Node: "n2", Score: "INFINITY"},
		location{ID: "cli-ban-rD-on-n1", Rsc: "rD", Node: "n1", Score: "-INFINITY"})
	up := func(string) string { return "" }
	nodes := []string{"n1", "n2", "n3"}
	if got := failbackRefusal(cib, testResources[0], nodes, up, time.Now()); !strings.Contains(got, "would not fail back to n1, its home node, by itself") || !strings.Contains(got, "cli-prefer-rA INFINITY") {
		t.Errorf("rA: %q", got)
	}
	if got := failbackRefusal(cib, testResources[3], nodes, up, time.Now()); !strings.Contains(got, "could not come back to n1, its home node: n1 -INFINITY (loc-rD-n1 300, cli-ban-rD-on-n1 -INFINITY)") {
		t.Errorf("rD: %q", got)
	}
	if got := failbackRefusal(cib, testResources[1], nodes, up, time.Now()); got != "" {
		t.Errorf("rB: %q", got)
	}
}

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"INFINITY", "-INFINITY", -infinity},
		{"+INFINITY", "100", infinity},
		{"1000000", "5", infinity},
		{"300", "-500", -200},
	} {
		a, _ := parseScore(tc.a)
		b, _ := parseScore(tc.b)
		if got := addScore(a, b); got != tc.want {
			t.Errorf("%s + %s = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
