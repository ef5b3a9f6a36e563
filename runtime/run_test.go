package runtime_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

func TestWholeRunDowntime(t *testing.T) {
	c := seed()
	s := &session{dir: t.TempDir()}
	res, sm := s.run(t, procedure(c))
	defer sm.Close()
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Message, s.text())
	}
	if res.Done != 8 || res.Left != 0 {
		t.Errorf("done %d, left %d; want 8, 0", res.Done, res.Left)
	}
	// Each resource is down for each move (failover, failback) times the
	// migrate time; the shared ones also for the media upgrade and a
	// refresh on every other node.
	tm := sim.DefaultTimings()
	moves := map[string]int{}
	for _, e := range s.events {
		if e.Change != nil && e.Change.Kind == runtime.ChangeResource && e.Change.FromState == cluster.ResourceRunning && e.Change.ToState == cluster.ResourceRunning {
			moves[e.Change.Name]++
		}
	}
	want := map[string]time.Duration{}
	for _, r := range c.Resources {
		want[r.Name] = time.Duration(moves[r.Name]) * tm.Migrate
		if r.Shared {
			want[r.Name] += tm.MediaUpgrade + tm.MediaRefresh // the other nodes refresh at once
		}
	}
	if moves["POOL1"] != 2 || moves["WEB"] != 2 {
		t.Errorf("moves = %v; want two per resource", moves)
	}
	if diff := cmp.Diff(want, res.Downtime); diff != "" {
		t.Errorf("downtime (-want +got):\n%s\n%s", diff, s.text())
	}
}

func TestStopAfterAndResume(t *testing.T) {
	c := seed()
	rb := procedure(c)
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.StopAfter = "rolling.upgrade[FS1].await-failback.failback" }}
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeStopped || res.Done != 3 || res.Left != 5 || res.Next != "rolling.upgrade[FS2].upgrade-node.upgrade" {
		t.Fatalf("got %+v\n%s", res, s.text())
	}
	s.opts = nil
	res, sm = s.run(t, rb)
	defer sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || res.Done != 5 || res.Earlier != 3 {
		t.Fatalf("resume: got %+v\n%s", res, s.text())
	}
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, sm.Upgrades()); diff != "" {
		t.Errorf("upgrades (-want +got):\n%s", diff)
	}
	// A third run has nothing left to do.
	sm.Close()
	res, sm = s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || res.Done != 0 || res.Earlier != 8 {
		t.Fatalf("third run: got %+v\n%s", res, s.text())
	}
}

func TestDriftOnResume(t *testing.T) {
	c := seed()
	rb := procedure(c)
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.StopAfter = "rolling.upgrade[FS1].await-failback.failback" }}
	_, sm := s.run(t, rb)
	// Someone upgrades FS2 by hand between the runs.
	fs2, _ := c.Node("FS2")
	if err := sm.Upgrade(context.Background(), *fs2, "6.5"); err != nil {
		t.Fatal(err)
	}
	sm.Close()
	s.opts = nil
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeDrift || res.ExitCode() != 1 {
		t.Fatalf("got %+v\n%s", res, s.text())
	}
	if txt := s.text(); !strings.Contains(txt, "node FS2: journal expects 6.0 up, cluster reports 6.5 up") {
		t.Errorf("no difference for FS2 in:\n%s", txt)
	}
}

func TestDriftOnFreshRun(t *testing.T) {
	c := seed()
	dir := t.TempDir()
	sm, err := sim.Open(teststore.Dir(dir), c, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs3, _ := c.Node("FS3")
	sm.Leave(context.Background(), *fs3)
	sm.Close()
	s := &session{dir: dir}
	res, sm := s.run(t, procedure(c))
	sm.Close()
	if res.Outcome != runtime.OutcomeDrift {
		t.Fatalf("got %+v\n%s", res, s.text())
	}
	for _, want := range []string{"node FS3: the runbook declares 6.0 up, cluster reports 6.0 down"} {
		if !strings.Contains(s.text(), want) {
			t.Errorf("no %q in:\n%s", want, s.text())
		}
	}
	if recs, _ := runtime.ReadJournal(local.New(dir)); len(recs) != 0 {
		t.Errorf("journal has %d records; want none", len(recs))
	}
}

func TestInDoubtResumed(t *testing.T) {
	c := seed()
	rb := procedure(c)
	s := &session{dir: t.TempDir(), faults: []sim.Fault{{Kind: sim.FaultUpgradeInDoubt, Target: "FS2"}}}
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeFailed || res.InDoubt != 1 || res.ExitCode() != 1 {
		t.Fatalf("got %+v\n%s", res, s.text())
	}
	s.faults = nil
	res, sm = s.run(t, rb)
	defer sm.Close()
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("resume: got %+v\n%s", res, s.text())
	}
	if !strings.Contains(s.text(), "rolling.upgrade[FS2].upgrade-node.upgrade: already done") {
		t.Errorf("the in-doubt step was not settled from status:\n%s", s.text())
	}
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, sm.Upgrades()); diff != "" {
		t.Errorf("upgrades (-want +got):\n%s", diff)
	}
}

func TestLockHeld(t *testing.T) {
	dir := t.TempDir()
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run first"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run second"), runtime.LockOptions{})
	var le *runtime.LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.Command != "runbook run first" || le.Holder.PID != os.Getpid() {
		t.Fatalf("second open: %v", err)
	}
	if _, err := runtime.Unlock(local.New(dir), false); !errors.Is(err, runtime.ErrHolderAlive) {
		t.Errorf("unlock while held: %v; want ErrHolderAlive", err)
	}
	st.Close()
	st, err = runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run third"), runtime.LockOptions{})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	st.Close()
}

func TestTornJournal(t *testing.T) {
	dir := t.TempDir()
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.Append(runtime.Record{Type: runtime.RecordStep, Address: "step.a.b", Status: runtime.StatusDone})
	st.Close()
	f, _ := os.OpenFile(filepath.Join(dir, local.JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"step","address":"step.c`)
	f.Close()
	st, err = runtime.OpenState(local.New(dir), runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.Records()); n != 1 {
		t.Errorf("records = %d; want 1", n)
	}
	st.Append(runtime.Record{Type: runtime.RecordStep, Address: "step.c.d", Status: runtime.StatusDone})
	st.Close()
	recs, err := runtime.ReadJournal(local.New(dir))
	if err != nil || len(recs) != 2 || recs[1].Address != "step.c.d" {
		t.Errorf("after append: %v, %+v", err, recs)
	}
}

// TestStopAndCancel: a stop request finishes the step in flight and stops
// (exit 3); a cancelled context leaves the step in doubt (exit 3), and the
// next run settles it.
func TestStopAndCancel(t *testing.T) {
	c := seed()
	rb := procedure(c)
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &session{dir: t.TempDir()}
	s.opts = func(o *runtime.Options) {
		o.Stop = stop
		o.Events = func(e runtime.Event) {
			s.events = append(s.events, e)
			if e.Status == runtime.StatusStarted && e.Step == "step.install-license.ncs65" {
				close(stop)
			}
		}
	}
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeStopped || res.Done != 1 || res.ExitCode() != 3 {
		t.Fatalf("stop: %+v\n%s", res, s.text())
	}
	s.opts = func(o *runtime.Options) {
		o.Events = func(e runtime.Event) {
			s.events = append(s.events, e)
			if e.Status == runtime.StatusStarted && e.Step == "rolling.upgrade[FS1].upgrade-node.upgrade" {
				cancel()
			}
		}
	}
	res, sm = s.runCtx(t, ctx, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeInterrupted || res.InDoubt != 1 || res.ExitCode() != 3 {
		t.Fatalf("cancel: %+v\n%s", res, s.text())
	}
	s.opts = nil
	res, sm = s.run(t, rb)
	defer sm.Close()
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("resume: %+v\n%s", res, s.text())
	}
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, sm.Upgrades()); diff != "" {
		t.Errorf("upgrades (-want +got):\n%s", diff)
	}
}

func TestIssued(t *testing.T) {
	a := "rolling.upgrade[FS1].upgrade-node.upgrade"
	rec := func(typ, status, op string) runtime.Record {
		return runtime.Record{Type: typ, Address: a, Status: status, Op: op}
	}
	for _, tc := range []struct {
		name string
		recs []runtime.Record
		want map[string]bool
	}{
		{"first attempt", nil, nil},
		{"crashed after the upgrade", []runtime.Record{rec(runtime.RecordStep, runtime.StatusStarted, ""), rec(runtime.RecordOp, "", "leave FS1"), rec(runtime.RecordOp, "", "upgrade FS1")},
			map[string]bool{"leave FS1": true, "upgrade FS1": true}},
		{"in doubt, then interrupted again", []runtime.Record{rec(runtime.RecordStep, runtime.StatusStarted, ""), rec(runtime.RecordOp, "", "upgrade FS1"), rec(runtime.RecordStep, runtime.StatusInDoubt, ""), rec(runtime.RecordStep, runtime.StatusStarted, "")},
			map[string]bool{"upgrade FS1": true}},
		{"failed: a retry starts afresh", []runtime.Record{rec(runtime.RecordStep, runtime.StatusStarted, ""), rec(runtime.RecordOp, "", "upgrade FS1"), rec(runtime.RecordStep, runtime.StatusFailed, "")}, nil},
		{"another step's operations", []runtime.Record{{Type: runtime.RecordOp, Address: "other", Op: "upgrade FS1"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runtime.Issued(tc.recs, a)); diff != "" {
				t.Errorf("runtime.Issued (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStepTimeoutHasOneOwner: a step's timeout is decided where the step is
// decoded (its attribute, or its type's default); the runtime takes it as it
// is. A step without one is refused before anything is done, not given its
// type's default a second time; a step's own timeout, shorter than its
// type's default, is the one the window is checked against.
func TestStepTimeoutHasOneOwner(t *testing.T) {
	rb := procedure(seed())
	rb.Steps[1].Timeout = 0
	s := &session{dir: t.TempDir()}
	res, sm := s.run(t, rb)
	sm.Close()
	want := "step " + rb.Steps[1].Address + " has no timeout; nothing was done"
	if res.Outcome != runtime.OutcomeError || res.Message != want || res.Done != 0 {
		t.Fatalf("got %s %q (%d done); want %s %q\n%s", res.Outcome, res.Message, res.Done, runtime.OutcomeError, want, s.text())
	}
	if n := len(sm.Upgrades()); n != 0 {
		t.Errorf("%d nodes upgraded; want none", n)
	}

	// The upgrade-node step's type defaults to 45m: after the licences (a
	// minute), a window of 45m admits it only with its own timeout of 35m.
	rb = procedure(seed())
	rb.Steps = rb.Steps[:2]
	rb.Steps[1].Timeout = 35 * time.Minute
	s = &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.End = sim.Epoch.Add(45 * time.Minute) }}
	res, sm = s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || res.Done != 2 {
		t.Fatalf("got %s %q (%d done); want the step run\n%s", res.Outcome, res.Message, res.Done, s.text())
	}
}
