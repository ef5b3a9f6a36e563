package runtime_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/procgroup"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

func TestInDoubt(t *testing.T) {
	a := "step.media-upgrade.pools"
	step := func(status string) runtime.Record {
		return runtime.Record{Type: runtime.RecordStep, Address: a, Status: status}
	}
	op := func(typ, op string) runtime.Record {
		return runtime.Record{Type: typ, Address: a, Op: op}
	}
	end := func(op, outcome string) runtime.Record {
		return runtime.Record{Type: runtime.RecordOpEnd, Address: a, Op: op, Outcome: outcome}
	}
	started := runtime.Record{Type: runtime.RecordOpStarted, Address: a, Op: "offline P2", Pgid: 42, Host: "h", Boot: "b"}
	for _, tc := range []struct {
		name string
		recs []runtime.Record
		want []runtime.DoubtfulOp
	}{
		{"first attempt", nil, nil},
		{"killed while offline P2 ran", []runtime.Record{step(runtime.StatusStarted),
			op(runtime.RecordOp, "offline P1"), end("offline P1", runtime.OpOK),
			op(runtime.RecordOp, "offline P2"), started},
			[]runtime.DoubtfulOp{{Op: "offline P2", Pgid: 42, Host: "h", Boot: "b"}}},
		{"announced, never started", []runtime.Record{step(runtime.StatusStarted), op(runtime.RecordOp, "offline P1")},
			[]runtime.DoubtfulOp{{Op: "offline P1"}}},
		{"killed by the driver: in doubt, ended", []runtime.Record{step(runtime.StatusStarted),
			op(runtime.RecordOp, "offline P2"), started, end("offline P2", runtime.OpInDoubt), step(runtime.StatusInDoubt)},
			[]runtime.DoubtfulOp{{Op: "offline P2", Pgid: 42, Host: "h", Boot: "b", Ended: true}}},
		{"failed: known outcome", []runtime.Record{step(runtime.StatusStarted), op(runtime.RecordOp, "offline P1"), end("offline P1", runtime.OpFailed)}, nil},
		{"step failed: a retry starts afresh", []runtime.Record{step(runtime.StatusStarted), op(runtime.RecordOp, "offline P1"), step(runtime.StatusFailed)}, nil},
		{"reissued", []runtime.Record{step(runtime.StatusStarted), op(runtime.RecordOp, "offline P1"), op(runtime.RecordOp, "offline P2"),
			{Type: runtime.RecordReissue, Address: a, Ops: []string{"offline P1"}}},
			[]runtime.DoubtfulOp{{Op: "offline P2"}}},
		{"another step's operations", []runtime.Record{{Type: runtime.RecordOp, Address: "other", Op: "offline P1"}}, nil},
		{"held at the gate, never started: never ran", []runtime.Record{step(runtime.StatusStarted),
			{Type: runtime.RecordOp, Address: a, Op: "offline P1", Gated: true},
			{Type: runtime.RecordOp, Address: a, Op: "offline P2", Gated: true}, started},
			[]runtime.DoubtfulOp{{Op: "offline P2", Pgid: 42, Host: "h", Boot: "b", Gated: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runtime.InDoubt(tc.recs, a)); diff != "" {
				t.Errorf("runtime.InDoubt (-want +got):\n%s", diff)
			}
		})
	}
	// Issued leaves out what the operator asked to issue again.
	recs := []runtime.Record{step(runtime.StatusStarted), op(runtime.RecordOp, "offline P1"), op(runtime.RecordOp, "offline P2"),
		{Type: runtime.RecordReissue, Address: a, Ops: []string{"offline P1"}}}
	if diff := cmp.Diff(map[string]bool{"offline P2": true}, runtime.Issued(recs, a)); diff != "" {
		t.Errorf("runtime.Issued after a reissue (-want +got):\n%s", diff)
	}
	// Nor an operation held at the driver's gate that never started.
	recs = []runtime.Record{step(runtime.StatusStarted), {Type: runtime.RecordOp, Address: a, Op: "offline P1", Gated: true},
		{Type: runtime.RecordOp, Address: a, Op: "offline P2", Gated: true}, started}
	if diff := cmp.Diff(map[string]bool{"offline P2": true}, runtime.Issued(recs, a)); diff != "" {
		t.Errorf("runtime.Issued with a gated operation never started (-want +got):\n%s", diff)
	}
}

// journalAppend appends records to the journal of dir, as an earlier run
// that died would have left them.
func journalAppend(t *testing.T, dir string, recs ...runtime.Record) {
	t.Helper()
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, r := range recs {
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func stepEvent(s *session, addr, status string) *runtime.Event {
	for i := range s.events {
		if e := &s.events[i]; e.Type == runtime.EventStep && e.Step == addr && e.Status == status {
			return e
		}
	}
	return nil
}

// TestSettleInDoubt: an operation an earlier run announced and never
// settled (it died during it) is not issued again: the resumed step waits
// for its effect, for the settle time, then stops in doubt saying what to
// check and that --reissue exists. With --reissue, the operation is issued
// again, and the run completes.
func TestSettleInDoubt(t *testing.T) {
	rb := procedure(seed())
	const addr = "rolling.upgrade[FS1].upgrade-node.upgrade"
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.StopAfter = "step.install-license.ncs65" }}
	if res, sm := s.run(t, rb); res.Outcome != runtime.OutcomeStopped {
		t.Fatalf("first run: %s (%s)", res.Outcome, res.Message)
	} else {
		sm.Close()
	}
	// The run died while `leave FS1` ran, before it took effect.
	journalAppend(t, s.dir, runtime.Record{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted},
		runtime.Record{Type: runtime.RecordOp, Address: addr, Op: "leave FS1"})

	s.opts = func(o *runtime.Options) { o.Settle = 7 * time.Minute }
	res, sm := s.run(t, rb)
	start := res.Start
	if res.Outcome != runtime.OutcomeFailed || res.InDoubt != 1 || res.ExitCode() != 1 {
		t.Fatalf("resumed: %s (%s), %d in doubt, exit %d; want failed, 1 in doubt, exit 1\n%s", res.Outcome, res.Message, res.InDoubt, res.ExitCode(), s.text())
	}
	if waited := sm.Now().Sub(start); waited < 7*time.Minute {
		t.Errorf("waited %s on the simulator's clock; want the settle time, 7m", waited)
	}
	if st, _ := sm.Status(t.Context()); !st.Up("FS1") {
		t.Errorf("FS1 left: the leave was issued again")
	}
	sm.Close()
	ev := stepEvent(s, addr, runtime.StatusInDoubt)
	if ev == nil || !strings.Contains(ev.Message, "no sign of the effect of leave FS1, which an earlier run issued and left in doubt, within the settle time of 7m") ||
		!strings.Contains(ev.Detail, "--reissue "+addr) {
		t.Fatalf("in-doubt event %+v; want the settle time and --reissue\n%s", ev, s.text())
	}
	if !strings.Contains(s.text(), "in doubt from an earlier attempt: leave FS1 (its run died while it ran: not issued again)") {
		t.Errorf("the run does not say what is in doubt:\n%s", s.text())
	}

	recs, err := runtime.ReadJournal(local.New(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := runtime.CheckReissue(recs, "step.install-license.ncs65"); err == nil || !strings.Contains(err.Error(), "not in doubt (it is done") {
		t.Errorf("CheckReissue of a done step: %v", err)
	}
	if err := runtime.CheckReissue(recs, addr); err != nil {
		t.Errorf("CheckReissue of the step in doubt: %v", err)
	}

	s.opts = func(o *runtime.Options) { o.Reissue = []string{addr} }
	res, sm = s.run(t, rb)
	defer sm.Close()
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("with --reissue: %s (%s)\n%s", res.Outcome, res.Message, s.text())
	}
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, sm.Upgrades()); diff != "" {
		t.Errorf("upgrades (-want +got):\n%s", diff)
	}
	recs, err = runtime.ReadJournal(local.New(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	var reissue *runtime.Record
	for i := range recs {
		if recs[i].Type == runtime.RecordReissue {
			reissue = &recs[i]
		}
	}
	if reissue == nil || reissue.Address != addr || !cmp.Equal(reissue.Ops, []string{"leave FS1"}) || reissue.User == "" || reissue.Time.IsZero() {
		t.Errorf("reissue record %+v; want who asked to issue leave FS1 again, and when", reissue)
	}
	// Every operation of the run has its outcome.
	for _, a := range []string{addr, "step.media-upgrade.pools"} {
		if d := runtime.InDoubt(recs, a); len(d) > 0 {
			t.Errorf("%s: operations still in doubt: %+v", a, d)
		}
	}
}

// TestAwaitsEarlierCommand: a resumed step whose operation's command, which
// an earlier run started, still runs waits for it to end before it reads
// the cluster, and says so; bounded by the step's timeout.
func TestAwaitsEarlierCommand(t *testing.T) {
	const addr = "step.install-license.ncs65"
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{{"ends", time.Hour}, {"outlives the step's timeout", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("sleep", "60")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pgid := cmd.Process.Pid
			t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL); cmd.Wait() })

			rb := procedure(seed())
			rb.Steps[0].Timeout = tc.timeout
			// A first run that does nothing but write the snapshot: a
			// window too short for any step.
			s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) { o.End = time.Date(2000, 1, 1, 22, 0, 0, 1, time.UTC) }}
			if res, sm := s.run(t, rb); res.Outcome != runtime.OutcomeStopped {
				t.Fatalf("first run: %s (%s)", res.Outcome, res.Message)
			} else {
				sm.Close()
			}
			journalAppend(t, s.dir, runtime.Record{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted},
				runtime.Record{Type: runtime.RecordOp, Address: addr, Op: "install_license ncs65"},
				runtime.Record{Type: runtime.RecordOpStarted, Address: addr, Op: "install_license ncs65", Pgid: pgid, Host: host, Boot: procgroup.BootID()})

			waiting := make(chan struct{})
			var once bool
			s.opts = func(o *runtime.Options) {
				o.StopAfter = addr
				o.Poll = 10 * time.Millisecond
				o.Settle = time.Minute
				events := o.Events
				o.Events = func(e runtime.Event) {
					events(e)
					if !once && strings.Contains(e.Message, "is still running: waiting for it to end") {
						once = true
						close(waiting)
					}
				}
			}
			done := make(chan *runtime.Result)
			go func() {
				res, sm := s.run(t, rb)
				sm.Close()
				done <- res
			}()
			select {
			case <-waiting:
			case res := <-done:
				t.Fatalf("the run did not wait for the command: %s (%s)\n%s", res.Outcome, res.Message, s.text())
			}
			if tc.timeout == time.Hour {
				syscall.Kill(-pgid, syscall.SIGKILL)
				cmd.Wait()
			}
			res := <-done
			ev := stepEvent(s, addr, runtime.StatusInDoubt)
			if res.Outcome != runtime.OutcomeFailed || ev == nil {
				t.Fatalf("%s (%s); want the step in doubt\n%s", res.Outcome, res.Message, s.text())
			}
			want := "no sign of the effect of install_license ncs65" // it never took effect
			if tc.timeout != time.Hour {
				want = "still runs after the step's timeout of 0.3s: check what it does, stop it if it hangs"
			}
			if !strings.Contains(ev.Message, want) {
				t.Errorf("in-doubt message %q; want %q", ev.Message, want)
			}
			if tc.timeout != time.Hour {
				recs, err := runtime.ReadJournal(local.New(s.dir))
				if err != nil {
					t.Fatal(err)
				}
				if err := runtime.CheckReissue(recs, addr); err != nil {
					t.Fatal(err)
				}
				s.opts = func(o *runtime.Options) { o.Reissue = []string{addr} }
				res, sm := s.run(t, rb)
				sm.Close()
				if res.Outcome != runtime.OutcomeError || !strings.Contains(res.Message, "is still running; nothing was done") {
					t.Errorf("--reissue while the command runs: %s (%s)", res.Outcome, res.Message)
				}
			}
		})
	}
}

// leaveType is a step type that makes a node leave, whatever an earlier
// attempt did: the runtime alone keeps it from issuing again an operation
// a dead run left in doubt.
type leaveType struct{ localType }

func (leaveType) Name() string  { return "leave" }
func (leaveType) Mutates() bool { return true }
func (leaveType) Done(_ *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	return !st.Up(in.Args.Node("node").Name)
}
func (leaveType) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	n := in.Args.Node("node")
	if err := env.Driver.Leave(ctx, n); err != nil {
		return err
	}
	_, err := steps.WaitFor(ctx, env, deadline, n.Name+" to leave", func(st *cluster.Status) (string, error) {
		if st.Up(n.Name) {
			return n.Name + " up", nil
		}
		return "", nil
	})
	return err
}

// TestObserverAbsorbs: a step that asks to issue an operation a dead run
// left in doubt is told it is issued, and waits for its effect; the
// operation reaches the driver only with --reissue.
func TestObserverAbsorbs(t *testing.T) {
	c := seed()
	reg := builtin.Registry()
	reg["leave"] = leaveType{}
	const addr = "step.leave.fs1"
	rb := &runtime.Runbook{Name: "test", Cluster: c, Steps: []runtime.Step{{When: true,
		Instance: steps.Instance{Address: addr, Type: "leave", Name: "fs1", Timeout: time.Hour, OnFailure: "abort", Args: steps.Args{"node": c.Nodes[0]}}}}}
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) {
		o.Registry, o.End = reg, time.Date(2000, 1, 1, 22, 0, 0, 1, time.UTC)
	}}
	if res, sm := s.run(t, rb); res.Outcome != runtime.OutcomeStopped {
		t.Fatalf("first run: %s (%s)", res.Outcome, res.Message)
	} else {
		sm.Close()
	}
	journalAppend(t, s.dir, runtime.Record{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted},
		runtime.Record{Type: runtime.RecordOp, Address: addr, Op: "leave FS1"})
	s.opts = func(o *runtime.Options) { o.Registry = reg }
	res, sm := s.run(t, rb)
	st, _ := sm.Status(t.Context())
	sm.Close()
	if res.Outcome != runtime.OutcomeFailed || res.InDoubt != 1 || !st.Up("FS1") {
		t.Fatalf("%s (%s), %d in doubt, FS1 up %v; want in doubt, FS1 not made to leave\n%s", res.Outcome, res.Message, res.InDoubt, st.Up("FS1"), s.text())
	}
	if !strings.Contains(s.text(), "leave FS1 was issued by an earlier run, which left its outcome in doubt: not issuing it again") {
		t.Errorf("the run does not say it waits instead of issuing:\n%s", s.text())
	}
	s.opts = func(o *runtime.Options) { o.Registry, o.Reissue = reg, []string{addr} }
	res, sm = s.run(t, rb)
	st, _ = sm.Status(t.Context())
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || st.Up("FS1") {
		t.Fatalf("with --reissue: %s (%s), FS1 up %v\n%s", res.Outcome, res.Message, st.Up("FS1"), s.text())
	}
}

// TestGatedNeverRan: an operation whose command a dead run started, held at
// the driver's gate, and that ended without passing it (no Ran file) never
// acted: the resumed run journals that, and the step issues it.
func TestGatedNeverRan(t *testing.T) {
	c := seed()
	reg := builtin.Registry()
	reg["leave"] = leaveType{}
	const addr = "step.leave.fs1"
	rb := &runtime.Runbook{Name: "test", Cluster: c, Steps: []runtime.Step{{When: true,
		Instance: steps.Instance{Address: addr, Type: "leave", Name: "fs1", Timeout: time.Hour, OnFailure: "abort", Args: steps.Args{"node": c.Nodes[0]}}}}}
	s := &session{dir: t.TempDir(), opts: func(o *runtime.Options) {
		o.Registry, o.End = reg, time.Date(2000, 1, 1, 22, 0, 0, 1, time.UTC)
	}}
	if res, sm := s.run(t, rb); res.Outcome != runtime.OutcomeStopped {
		t.Fatalf("first run: %s (%s)", res.Outcome, res.Message)
	} else {
		sm.Close()
	}
	// A process group that has ended.
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	journalAppend(t, s.dir, runtime.Record{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted},
		runtime.Record{Type: runtime.RecordOp, Address: addr, Op: "leave FS1", Gated: true},
		runtime.Record{Type: runtime.RecordOpStarted, Address: addr, Op: "leave FS1", Pgid: cmd.Process.Pid, Host: host, Boot: procgroup.BootID(),
			Ran: filepath.Join(s.dir, "never-created")})
	s.opts = func(o *runtime.Options) { o.Registry = reg }
	res, sm := s.run(t, rb)
	st, _ := sm.Status(t.Context())
	sm.Close()
	if res.Outcome != runtime.OutcomeCompleted || st.Up("FS1") {
		t.Fatalf("%s (%s), FS1 up %v; want the leave issued and the run complete\n%s", res.Outcome, res.Message, st.Up("FS1"), s.text())
	}
	recs, err := runtime.ReadJournal(local.New(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range recs {
		if r.Type == runtime.RecordOpEnd {
			outcomes = append(outcomes, r.Op+" "+r.Outcome)
		}
	}
	if want := []string{"leave FS1 not-run", "leave FS1 ok"}; !cmp.Equal(outcomes, want) {
		t.Errorf("outcomes journaled %q; want %q", outcomes, want)
	}
}
