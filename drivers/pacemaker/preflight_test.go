package pacemaker

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
)

func TestFailbackOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		mode string
		ok   bool
	}{
		{"", cluster.FailbackAuto, true},
		{"0", cluster.FailbackAuto, true},
		{"INFINITY", cluster.FailbackManual, true},
		{"+INFINITY", cluster.FailbackManual, true},
		{"100", "", false},
	} {
		mode, ok := FailbackOf(tc.in)
		if mode != tc.mode || ok != tc.ok {
			t.Errorf("FailbackOf(%q) = %q, %v; want %q, %v", tc.in, mode, ok, tc.mode, tc.ok)
		}
	}
}

func TestCheckFailback(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml"}
	d := newFake(t, f)
	// The CIB has rA and rC at 0, rB and rD at INFINITY.
	got, err := d.CheckFailback(context.Background(), []cluster.Resource{
		{Name: "rA", Failback: cluster.FailbackAuto},
		{Name: "rB", Failback: cluster.FailbackAuto},
		{Name: "rC"},
		{Name: "rD", Failback: cluster.FailbackManual},
		{Name: "rZ", Failback: cluster.FailbackManual},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mismatch{{Resource: "rB", Declared: cluster.FailbackAuto, Stickiness: "INFINITY"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if msg := got[0].String(); !strings.Contains(msg, `resource rB: the runbook declares failback "auto", cluster reports resource-stickiness INFINITY (manual)`) {
		t.Errorf("message = %s", msg)
	}
}

// Preflight refuses with every mismatch: one line to sum up, one per
// difference, and how failback maps onto stickiness.
func TestPreflightRefuses(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml"}
	err := Preflight(context.Background(), newFake(t, f), []cluster.Resource{
		{Name: "rA", Failback: cluster.FailbackManual},
		{Name: "rB", Failback: cluster.FailbackAuto},
	})
	var drift *DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("err = %v, want a DriftError", err)
	}
	if got := drift.Summary(); got != "the cluster differs from what the runbook declares in 2 place(s); nothing was done" {
		t.Errorf("summary = %q", got)
	}
	d := drift.Differences()
	if len(d) != 2 || !strings.HasPrefix(d[0], "resource rA: ") || !strings.HasPrefix(d[1], "resource rB: ") {
		t.Errorf("differences = %q", d)
	}
	want := drift.Summary() + ":\n  " + d[0] + "\n  " + d[1] + "\nFailback comes from each resource's resource-stickiness (0 is auto, INFINITY is manual)"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	if err := Preflight(context.Background(), newFake(t, f), []cluster.Resource{{Name: "rA"}, {Name: "rB", Failback: cluster.FailbackManual}}); err != nil {
		t.Errorf("matching failback: %v", err)
	}
}

func TestStatusLostNode(t *testing.T) {
	// n3 was killed: offline, and not in standby.
	f := &fakeRunner{monFile: "crm_mon-n3-killed.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	_, err := d.Status(context.Background())
	var lost *LostError
	if !errors.As(err, &lost) || strings.Join(lost.Nodes, ",") != "n3" {
		t.Fatalf("err = %v, want a LostError naming n3", err)
	}
	// The same node offline while the driver upgrades it is expected.
	d.upgrading["n3"] = true
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Up("n3") {
		t.Errorf("n3 reported up")
	}
}
