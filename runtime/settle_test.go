package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

// localType is a step type that changes no cluster state, as exec and
// approve: it counts its runs, and fails when fail is set.
type localType struct {
	runs *int
	fail bool
}

func (localType) Name() string                  { return "local" }
func (localType) Doc() string                   { return "Counts its runs." }
func (localType) Attrs() []steps.Attr           { return nil }
func (localType) DefaultTimeout() time.Duration { return time.Minute }
func (localType) Mutates() bool                 { return false }
func (localType) Check(*steps.Env, *cluster.Status, *steps.Instance) []steps.Problem {
	return nil
}
func (localType) Done(*steps.Env, *cluster.Status, *steps.Instance) bool { return false }
func (t localType) Run(context.Context, *steps.Env, *steps.Instance, time.Time) error {
	*t.runs++
	if t.fail {
		return errors.New("the local command failed")
	}
	return nil
}

// withLocal is the procedure with a local step after the licence (failing
// with on_failure = "continue" when fail is set) and an approve step before
// the media upgrade, and a registry that knows the local type.
func withLocal(c *cluster.Cluster, runs *int, fail bool) (*runtime.Runbook, steps.Registry) {
	reg := builtin.Registry()
	reg["local"] = localType{runs: runs, fail: fail}
	rb := procedure(c)
	local := runtime.Step{When: true, Instance: steps.Instance{Address: "step.local.note", Type: "local", Name: "note", Timeout: time.Minute, OnFailure: "continue"}}
	approve := runtime.Step{When: true, Instance: steps.Instance{Address: "step.approve.go", Type: "approve", Name: "go", Timeout: time.Hour, OnFailure: "abort",
		Args: steps.Args{"message": "Go on?"}}}
	n := len(rb.Steps)
	steps := append([]runtime.Step{rb.Steps[0], local}, rb.Steps[1:n-1]...)
	rb.Steps = append(steps, approve, rb.Steps[n-1])
	return rb, reg
}

// TestPlanRunsNoLocalStep: a plan never runs a step that does not change
// the cluster (it would run a local command, or ask the operator); it
// reports it done, not run, with what it does instead.
func TestPlanRunsNoLocalStep(t *testing.T) {
	runs := 0
	rb, reg := withLocal(seed(), &runs, false)
	prompt := func(context.Context, string) (bool, error) {
		t.Error("the plan asked the operator")
		return false, nil
	}
	res := runtime.Run(context.Background(), rb, runtime.Options{Registry: reg, Driver: sim.New(rb.Cluster, sim.Options{Timings: sim.DefaultTimings()}),
		Poll: 5 * time.Second, Plan: true, Prompt: prompt})
	if res.Outcome != runtime.OutcomeCompleted || res.Done != len(rb.Steps) {
		t.Fatalf("plan: %s (%s), %d of %d steps done", res.Outcome, res.Message, res.Done, len(rb.Steps))
	}
	if runs != 0 {
		t.Errorf("the plan ran the local step %d time(s)", runs)
	}
	notRun := map[string]string{}
	for _, s := range res.Steps {
		if s.NotRun {
			notRun[s.Address] = s.NoEffect
		}
	}
	if want := map[string]string{"step.local.note": "", "step.approve.go": "asks the operator"}; !equalMaps(notRun, want) {
		t.Errorf("steps not run by the plan: %q; want %q", notRun, want)
	}

	// A run runs it, once.
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.Registry, o.AutoApprove = reg, true }}
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || runs != 1 {
		t.Errorf("run: %s (%s), the local step ran %d time(s); want once\n%s", res.Outcome, res.Message, runs, s.text())
	}
}

// TestContinuedFailureSettled: a step that fails with on_failure =
// "continue" is settled: the run completes with it failed and nothing left,
// and a later run neither runs it again nor counts it as left.
func TestContinuedFailureSettled(t *testing.T) {
	runs := 0
	rb, reg := withLocal(seed(), &runs, true)
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.Registry, o.AutoApprove = reg, true }}
	res, sm := s.run(t, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || res.Failed != 1 || res.Left != 0 || res.Next != "" || runs != 1 {
		t.Fatalf("first run: %s (%s), %d failed, %d left (next %q), %d run(s) of the local step; want completed, 1 failed, 0 left, 1 run\n%s",
			res.Outcome, res.Message, res.Failed, res.Left, res.Next, runs, s.text())
	}
	for i := 0; i < 2; i++ {
		res, sm = s.run(t, rb)
		sm.Close()
		if res.Outcome != runtime.OutcomeCompleted || res.Done != 0 || res.Failed != 1 || res.Left != 0 || runs != 1 {
			t.Errorf("later run %d: %s (%s), %d done, %d failed, %d left, %d run(s) of the local step; want completed, 0 done, 1 failed, 0 left, 1 run\n%s",
				i+1, res.Outcome, res.Message, res.Done, res.Failed, res.Left, runs, s.text())
		}
		if strings.Contains(s.text(), "was interrupted") {
			t.Errorf("later run %d says a step was interrupted:\n%s", i+1, s.text())
		}
	}
	recs, err := runtime.ReadJournal(local.New(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	last := runtime.StepStatuses(recs)["step.local.note"]
	if last.Status != runtime.StatusFailed || !last.Continued || !runtime.Settled(last) {
		t.Errorf("journal: %+v; want failed, continued and settled", last)
	}
}

// TestAbortCause: a run cancelled with a cause (the command line's second
// interrupt) leaves the step in doubt, saying why and what was in flight
// rather than "context canceled".
func TestAbortCause(t *testing.T) {
	rb := procedure(seed())
	const addr = "rolling.upgrade[FS1].upgrade-node.upgrade"
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	s := &session{dir: t.TempDir()}
	s.opts = func(o *runtime.Options) {
		o.Events = func(e runtime.Event) {
			s.events = append(s.events, e)
			if e.Type == runtime.EventChange && e.Step == addr {
				cancel(errors.New("aborted by a second interrupt"))
			}
		}
	}
	res, sm := s.runCtx(t, ctx, rb)
	sm.Close()
	if res.Outcome != runtime.OutcomeInterrupted || res.InDoubt != 1 {
		t.Fatalf("outcome %s (%s), %d in doubt\n%s", res.Outcome, res.Message, res.InDoubt, s.text())
	}
	var msg string
	for _, e := range s.events {
		if e.Step == addr && e.Status == runtime.StatusInDoubt {
			msg = e.Message
		}
	}
	if !strings.HasPrefix(msg, "in doubt: aborted by a second interrupt: ") || strings.Contains(msg, "context canceled") {
		t.Errorf("in-doubt message %q; want \"in doubt: aborted by a second interrupt: <what was in flight>\"\n%s", msg, s.text())
	}
	recs, err := runtime.ReadJournal(local.New(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.StepStatuses(recs)[addr].Error; "in doubt: "+got != msg {
		t.Errorf("journal error %q; want the event's %q", got, msg)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		400 * time.Millisecond:                "0.4s",
		40 * time.Millisecond:                 "40ms",
		300 * time.Microsecond:                "1ms",
		12300 * time.Millisecond:              "12.3s",
		12 * time.Second:                      "12s",
		59990 * time.Millisecond:              "1m", // rounds to the minute
		90*time.Second + 400*time.Millisecond: "1m30s",
		34*time.Minute + 20*time.Second:       "34m20s",
		time.Hour + 58*time.Minute:            "1h58m",
	} {
		if got := runtime.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q; want %q", d, got, want)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDeclinedApprovalStops: an operator who does not approve stops the run
// cleanly (exit 3, resumable), and the resumed run asks again.
func TestDeclinedApprovalStops(t *testing.T) {
	runs := 0
	rb, reg := withLocal(seed(), &runs, false)
	answer, asked := false, 0
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) {
		o.Registry = reg
		o.Prompt = func(context.Context, string) (bool, error) { asked++; return answer, nil }
	}}
	res, _ := s.run(t, rb)
	if res.Outcome != runtime.OutcomeStopped || res.ExitCode() != 3 || res.Next != "step.approve.go" || res.Failed != 0 {
		t.Fatalf("declined: %s (%s), exit %d, next %s, %d failed; want stopped at step.approve.go, exit 3, none failed",
			res.Outcome, res.Message, res.ExitCode(), res.Next, res.Failed)
	}
	answer = true
	res, sm := s.run(t, rb)
	if res.Outcome != runtime.OutcomeCompleted || asked != 2 {
		t.Fatalf("resumed: %s (%s), asked %d times; want completed, asked twice", res.Outcome, res.Message, asked)
	}
	if st, _ := sm.Status(context.Background()); st.MediaVersion != "6.5" {
		t.Errorf("media at %s after the approved resume; want 6.5", st.MediaVersion)
	}
}

// TestLeftAsJournaled: what a run reports left (Left, Next), which it tells
// from the steps it ran and the journal as it found it, is what the
// journal's last record of each step says at its end: in a first run that
// stops part-way with a failure continued past and a step whose when is
// false, in a resumed run that stops again, and in the one that completes.
func TestLeftAsJournaled(t *testing.T) {
	runs := 0
	rb, reg := withLocal(seed(), &runs, true)
	rb.Steps[2].When = false
	stops := []string{rb.Steps[4].Address, rb.Steps[7].Address, ""}
	s := &session{dir: t.TempDir()}
	for i, stop := range stops {
		s.opts = func(o *runtime.Options) { o.Registry, o.AutoApprove, o.StopAfter = reg, true, stop }
		res, sm := s.run(t, rb)
		sm.Close()
		recs, err := runtime.ReadJournal(local.New(s.dir))
		if err != nil {
			t.Fatal(err)
		}
		last := runtime.StepStatuses(recs)
		left, next := 0, ""
		for _, st := range rb.Steps {
			if !runtime.Settled(last[st.Address]) {
				left++
				if next == "" {
					next = st.Address
				}
			}
		}
		if res.Left != left || res.Next != next || left == 0 && stop != "" {
			t.Errorf("run %d (stop after %q): %d left, next %q; the journal leaves %d, next %q\n%s", i+1, stop, res.Left, res.Next, left, next, s.text())
		}
	}
}

// TestApprovalOfStepBehind: an operator's answer is journaled at the step
// whose prompt it answers, the step last journaled as started, with the
// state's writes made behind (the runner's own records kept as they are,
// State.appendOne) as with them made at once.
func TestApprovalOfStepBehind(t *testing.T) {
	for _, behind := range []bool{false, true} {
		runs := 0
		rb, reg := withLocal(seed(), &runs, false)
		dir := t.TempDir()
		sm, err := sim.Open(teststore.Dir(dir), rb.Cluster, sim.Options{Timings: sim.DefaultTimings()})
		if err != nil {
			t.Fatal(err)
		}
		st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("test"), runtime.LockOptions{WriteBehind: behind})
		if err != nil {
			t.Fatal(err)
		}
		prompt := func(context.Context, string) (bool, error) {
			return true, st.Approved(sm.Now(), true)
		}
		res := runtime.Run(context.Background(), rb, runtime.Options{Registry: reg, Driver: sm, State: st, DriverName: "sim", Poll: 5 * time.Second, Prompt: prompt})
		sm.Close()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if res.Outcome != runtime.OutcomeCompleted {
			t.Fatalf("behind %v: %s (%s)", behind, res.Outcome, res.Message)
		}
		recs, err := runtime.ReadJournal(local.New(dir))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			if r.Type == runtime.RecordApproval {
				got = append(got, r.Address)
			}
		}
		if len(got) != 1 || got[0] != "step.approve.go" {
			t.Errorf("behind %v: approvals at %q; want one at step.approve.go", behind, got)
		}
	}
}
