package runtime_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

// TestStateModes: a new state directory is its owner's alone, and opening
// an existing one restricts it and its files (left by an older version).
func TestStateModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), ".runbook", "r")
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run r.hcl"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(runtime.Record{Type: runtime.RecordRun, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	teststore.CheckModes(t, filepath.Dir(dir))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	for _, f := range []string{local.JournalFile, local.LockFile, "exec.log"} {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err = runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run r.hcl"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	teststore.CheckModes(t, dir)
}

// TestAudit: the journal says who ran (the lock's holder, on the run
// record, with the answer to the run's confirmation) and who answered an
// approve step's prompt, when, and what.
func TestAudit(t *testing.T) {
	dir := t.TempDir()
	holder := runtime.Holder{User: "alice", Host: "ops1", PID: 42, Since: time.Now(), Command: "runbook run r.hcl"}
	st, err := runtime.OpenState(local.New(dir), holder, runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	confirmed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st.Confirmation = &runtime.Approval{Time: confirmed, Answer: "yes"}
	t0 := time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)
	for _, r := range []runtime.Record{
		{Type: runtime.RecordRun, Time: t0, Runbook: "r", Driver: "exec", Command: holder.Command},
		{Type: runtime.RecordStep, Time: t0, Address: "step.approve.media", Status: runtime.StatusStarted},
	} {
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Approved(t0.Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}
	recs, err := runtime.ReadJournal(local.New(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("journal has %d records; want 3: %+v", len(recs), recs)
	}
	run, appr := recs[0], recs[2]
	if run.User != "alice" || run.Host != "ops1" || run.Answer != "yes" || run.Answered == nil || !run.Answered.Equal(confirmed) {
		t.Errorf("run record = %+v; want alice@ops1, confirmed yes at %v", run, confirmed)
	}
	if appr.Type != runtime.RecordApproval || appr.Address != "step.approve.media" || appr.User != "alice" || appr.Host != "ops1" ||
		appr.Answer != "no" || !appr.Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("approval record = %+v; want alice@ops1 answering no at step.approve.media", appr)
	}
}

// TestStateSettled: State.Settled, kept as records are journaled, tells
// what StepStatuses of the whole journal does, in the run that wrote the
// records and in the next one, which reads them.
func TestStateSettled(t *testing.T) {
	dir := t.TempDir()
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run r.hcl"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	addrs := []string{"step.a", "step.b", "step.c", "step.d", "step.e", "step.never"}
	recs := []runtime.Record{
		{Type: runtime.RecordRun, Time: t0},
		{Type: runtime.RecordStep, Time: t0, Address: "step.a", Status: runtime.StatusStarted},
		{Type: runtime.RecordStep, Time: t0, Address: "step.a", Status: runtime.StatusDone},
		{Type: runtime.RecordStep, Time: t0, Address: "step.b", Status: runtime.StatusStarted},
		{Type: runtime.RecordStep, Time: t0, Address: "step.b", Status: runtime.StatusFailed},
		{Type: runtime.RecordStep, Time: t0, Address: "step.c", Status: runtime.StatusFailed, Continued: true},
		{Type: runtime.RecordStep, Time: t0, Address: "step.d", Status: runtime.StatusSkipped},
		{Type: runtime.RecordStep, Time: t0, Address: "step.d", Status: runtime.StatusStarted},
		{Type: runtime.RecordOp, Time: t0, Address: "step.e", Op: "leave N1"},
		{Type: runtime.RecordStep, Time: t0, Address: "step.e", Status: runtime.StatusInDoubt},
	}
	check := func(st *runtime.State) {
		t.Helper()
		last := runtime.StepStatuses(st.Records())
		for _, a := range addrs {
			if got, want := st.Settled(a), runtime.Settled(last[a]); got != want {
				t.Errorf("Settled(%s) = %v; the journal's last status says %v", a, got, want)
			}
		}
	}
	for i, r := range recs {
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			check(st)
		}
	}
	check(st)
	st.Close()
	st, err = runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run r.hcl"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	check(st)
	if !st.Settled("step.a") || st.Settled("step.b") || !st.Settled("step.c") || st.Settled("step.d") || st.Settled("step.never") {
		t.Errorf("Settled: a %v b %v c %v d %v never %v; want true false true false false",
			st.Settled("step.a"), st.Settled("step.b"), st.Settled("step.c"), st.Settled("step.d"), st.Settled("step.never"))
	}
}

// TestStateSettledLater: State.Settled, brought up to date only when asked,
// tells what the journal's last records say whenever it is asked: with
// writes held back (the records kept in chunks), as the records go from
// the first slice to the chunks, and after Records joins them.
func TestStateSettledLater(t *testing.T) {
	st, err := runtime.OpenState(local.New(t.TempDir()), runtime.CurrentHolder("runbook run r.hcl"), runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	statuses := []string{runtime.StatusStarted, runtime.StatusDone, runtime.StatusFailed, runtime.StatusSkipped, runtime.StatusInDoubt}
	var addrs []string
	for i := 0; i < 40; i++ {
		addrs = append(addrs, fmt.Sprintf("step.s%d", i))
	}
	check := func(n int, joined bool) {
		t.Helper()
		var recs []runtime.Record
		if joined {
			recs = st.Records()
		} else {
			for _, r := range st.RecordList().All() {
				recs = append(recs, *r)
			}
		}
		last := runtime.StepStatuses(recs)
		for _, a := range addrs {
			if got, want := st.Settled(a), runtime.Settled(last[a]); got != want {
				t.Errorf("after %d records: Settled(%s) = %v; the journal's last status says %v", n, a, got, want)
			}
		}
	}
	if err := st.Append(runtime.Record{Type: runtime.RecordRun, Time: t0}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 9000; i++ {
		r := runtime.Record{Type: runtime.RecordStep, Time: t0, Address: addrs[(i*7)%len(addrs)], Status: statuses[(i/3)%len(statuses)], Continued: i%4 == 0}
		if i%5 == 0 {
			r = runtime.Record{Type: runtime.RecordOp, Time: t0, Address: r.Address, Op: "leave N1"}
		}
		if i%11 == 0 {
			r.Error = "boom" // kept whole, not compact
		}
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
		if i%997 == 0 || i == 70 {
			check(i, i%2 == 0)
		}
	}
	check(9000, false)
	check(9000, true)
}
