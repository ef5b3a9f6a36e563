package pacemaker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
)

// cib-marks.xml: n2 left by the runbook at 1.0 and still in standby, rA
// stopped by the runbook's Offline on n1, rC's offline mark left by an
// Online cut short, the media upgraded to 2.0 and read by n1 only.
func TestStatusReadsTheMarks(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-marks.xml", cibFile: "cib-marks.xml",
		versions: map[string]string{"n1": "2.0", "n2": "1.0", "n3": "2.0"}}
	d := newFake(t, f)
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Resources["rA"]; got != (cluster.ResourceStatus{State: cluster.ResourceUpgrade, Node: "n1"}) {
		t.Errorf("rA = %+v, want upgrade at n1", got)
	}
	media := map[string]string{}
	for n, ns := range st.Nodes {
		media[n] = ns.Media
	}
	if diff := cmp.Diff(map[string]string{"n1": "2.0", "n2": "1.0", "n3": "1.0"}, media); diff != "" {
		t.Errorf("media read per node (-want +got):\n%s", diff)
	}
	// n2 has not been upgraded: it stays in standby. rC runs: its online
	// is finished.
	d.finish = true
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-prefer-rC"></rsc_location>`,
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-ban-rC"></rsc_location>`,
		"n1: crm_resource --resource rC --meta --delete-parameter runbook-offline",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

// A run killed while the upgrade command ran: the command finished on its
// own, and the node rejoined at the new version, in the runbook's standby.
// The next run takes it out of standby, and clears the stale marks.
func TestResumeFinishesTheUpgrade(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-marks.xml", cibFile: "cib-marks.xml",
		versions: map[string]string{"n1": "2.0", "n2": "2.0", "n3": "2.0"}}
	d := newFake(t, f)
	// status and plan do not act.
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Fatalf("a status read acted: %v", f.calls)
	}
	removed, err := d.ClearLeftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the mark runbook-offline of rC", "the standby of n2 (upgraded to 2.0 while no run watched)"}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	calls := []string{
		"n1: crm_resource --resource rC --meta --delete-parameter runbook-offline",
		"n1: crm_attribute --type nodes --node n2 --name standby --delete",
		"n1: crm_attribute --type nodes --node n2 --name runbook-left --delete",
	}
	if diff := cmp.Diff(calls, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	// While the run goes on, a status read finishes it too (the upgrade
	// command of the killed run may finish later), and the online of a
	// resource that runs again (here rC, as the fake CIB still has it).
	f.calls = nil
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls = append(calls[1:],
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-prefer-rC"></rsc_location>`,
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-ban-rC"></rsc_location>`,
		"n1: crm_resource --resource rC --meta --delete-parameter runbook-offline")
	if diff := cmp.Diff(calls, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestMissingVersionFile(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	_, err := d.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot read the version of n2: cat /var/lib/pacemaker/runbook-version printed nothing") {
		t.Fatalf("err = %v, want the failing version command of n2", err)
	}
}

// A status read cut short by the step's deadline stands for the last one
// read, so that the wait says what it last saw.
func TestStatusCutShort(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}, hang: "cibadmin --query"}
	d := newFake(t, f)
	f.hang = ""
	first, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.hang = "never"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	d.cfg.Settle = time.Millisecond
	f.monFile = "" // no DC any more, and the read is cut short
	st, err := d.Status(ctx)
	if err != nil || !cmp.Equal(first.Resources, st.Resources) {
		t.Fatalf("status %v, %v; want the last one read", st, err)
	}
	d.last = nil
	if _, err := d.Status(ctx); err == nil || !strings.Contains(err.Error(), "reading the status was cut short (context deadline exceeded)") {
		t.Fatalf("err = %v", err)
	}
}

func TestDowntimeFromExecutorLog(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 11, 29, 19, 0, 0, 0, loc)
	n1 := `Nov 29 18:09:29.844 n1 pacemaker-execd     [26543] (log_execute) 	info: executing - rsc:rA action:start call_id:14
Nov 29 18:09:29.932 n1 pacemaker-execd     [26543] (log_finished) 	info: rA start (call 14, PID 27718) exited with status 0 (execution time 90ms after being queued 3ms)
Nov 29 18:20:00.100 n1 pacemaker-execd     [26543] (log_finished) 	info: rA stop (call 20, PID 3) exited with status 0 (execution time 40ms after being queued 0ms)
Nov 29 18:21:00.000 n1 pacemaker-execd     [26543] (log_finished) 	info: rA start (call 30, PID 4) exited with status 0 (execution time 40ms after being queued 0ms)
Nov 29 18:30:00.000 n1 pacemaker-execd     [26543] (log_finished) 	info: rA stop (call 40, PID 5) exited with status 0 (execution time 40ms after being queued 0ms)
Nov 29 18:30:01.500 n1 pacemaker-execd     [26543] (log_finished) 	info: rA start (call 41, PID 6) exited with status 0 (execution time 40ms after being queued 0ms)
Nov 29 18:40:00.000 n1 pacemaker-execd     [26543] (log_finished) 	info: rB stop (call 50, PID 7) exited with status 0 (execution time 40ms after being queued 0ms)`
	n2 := `Nov 29 18:20:00.400 n2 pacemaker-execd     [26544] (log_finished) 	info: rA start (call 9, PID 2) exited with status 0 (execution time 50ms after being queued 0ms)
Nov 29 18:20:59.700 n2 pacemaker-execd     [26544] (log_finished) 	info: rA stop (call 10, PID 2) exited with status 0 (execution time 50ms after being queued 0ms)
Nov 29 18:25:00.000 n2 pacemaker-execd     [26544] (log_finished) 	info: rB start (call 11, PID 2) exited with status 1 (execution time 50ms after being queued 0ms)`
	evs := append(parseExecLog(n1, "n1", now, loc), parseExecLog(n2, "n2", now, loc)...)
	if len(evs) != 9 {
		t.Fatalf("%d events: %v", len(evs), evs)
	}
	since := time.Date(2026, 11, 29, 18, 10, 0, 0, loc)
	got := downtimeFrom(evs, since, now)
	// rA: failover n1 -> n2 300 ms, failback 300 ms, a restart 1.5 s;
	// rB: stopped at 18:40, still down at 19:00.
	want := map[string]time.Duration{"rA": 2100 * time.Millisecond, "rB": 20 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFailbackOfInfinity(t *testing.T) {
	if mode, ok := FailbackOf("1000000"); !ok || mode != cluster.FailbackManual {
		t.Errorf("1000000: %q %v", mode, ok)
	}
	m := Mismatch{Resource: "rA", Declared: cluster.FailbackAuto, Stickiness: "100"}
	if got := m.String(); !strings.Contains(got, "neither auto (0) nor manual (INFINITY)") || strings.Contains(got, "set failback") {
		t.Errorf("%s", got)
	}
}

// A run killed in the middle of n3's refresh: the resumed step waits for n3
// to read the media; the driver finishes the refresh its mark stands for.
func TestResumeFinishesARefresh(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-media-marks.xml",
		versions: map[string]string{"n1": "2.0", "n2": "2.0", "n3": "2.0"}}
	d := newFake(t, f)
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Nodes["n3"].Media != "1.0" || len(f.calls) != 0 {
		t.Fatalf("before the run: n3 reads %q, commands %v", st.Nodes["n3"].Media, f.calls)
	}
	d.finish = true
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"n3: crm_resource --refresh --resource rA --node n3",
		"n3: crm_resource --refresh --resource rB --node n3",
		"n3: crm_resource --refresh --resource rC --node n3",
		"n1: crm_attribute --type nodes --node n3 --name runbook-media --update 2.0",
		"n1: crm_attribute --type nodes --node n3 --name runbook-media-refreshing --delete",
	}
	var got []string
	for _, c := range f.calls {
		if strings.Contains(c, "n3") {
			got = append(got, c)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}
