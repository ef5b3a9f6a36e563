package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	execdriver "github.com/runbookhq/runbook/drivers/exec"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

// The tests of this file run `runbook run --driver exec` as the operator
// does: the runbook binary and the stand-in cluster manager
// (internal/standin) are built once per test binary, every run is a real OS
// process, and Ctrl-C is a SIGINT sent to the run's whole process group, as a
// terminal sends it. Each test starts a fresh stand-in cluster and audits
// what the stand-in saw (standincheck.Audit).

// Bounds of the waits of these tests: no wait is expected to come near them.
const (
	execRunLimit  = 20 * time.Second // one runbook process
	execWaitLimit = 10 * time.Second // waiting for the stand-in or the output
)

var execBins struct {
	once             sync.Once
	dir              string
	runbook, standin string
	err              error
}

// TestMain removes the binaries the exec tests built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if execBins.dir != "" {
		os.RemoveAll(execBins.dir)
	}
	os.Exit(code)
}

// buildExecBins builds the runbook binary and the stand-in, once.
func buildExecBins(t *testing.T) (runbook, standin string) {
	t.Helper()
	b := &execBins
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "runbook-exec-test-"); b.err != nil {
			return
		}
		if b.standin, b.err = standincheck.Build(b.dir); b.err != nil {
			return
		}
		b.runbook = filepath.Join(b.dir, "runbook")
		if out, err := exec.Command("go", "build", "-o", b.runbook, "github.com/runbookhq/runbook/cmd/runbook").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/runbook: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.runbook, b.standin
}

// execEnv is one test's stand-in cluster, runbook and state directory.
type execEnv struct {
	t                *testing.T
	runbook, standin string
	hcl              string // the runbook file
	standinDir       string
	state            string // --state
	env              []string
}

// newExecEnv starts a stand-in cluster as testdata/exec/standin.hcl declares
// it, whose upgraded nodes reboot for rebootDelay.
func newExecEnv(t *testing.T, rebootDelay time.Duration) *execEnv {
	t.Helper()
	return newExecEnvWith(t, rebootDelay, nil)
}

// newExecEnvWith is newExecEnv with the stand-in's description changed by
// edit first.
func newExecEnvWith(t *testing.T, rebootDelay time.Duration, edit func(*standincheck.Description)) *execEnv {
	t.Helper()
	runbook, standin := buildExecBins(t)
	dir := t.TempDir()
	e := &execEnv{t: t, runbook: runbook, standin: standin,
		hcl: filepath.Join(dir, "standin.hcl"), standinDir: filepath.Join(dir, "cluster"), state: filepath.Join(dir, "state")}
	data, err := os.ReadFile("testdata/exec/standin.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.hcl, data, 0o644); err != nil {
		t.Fatal(err)
	}
	desc := standincheck.Description{
		Nodes: []standincheck.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}, {Name: "FS3", Version: "6.0"}},
		Resources: []standincheck.Resource{
			{Name: "POOL1_SERVER", Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto", Shared: true},
			{Name: "POOL2_SERVER", Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "manual", Shared: true},
			{Name: "WEB", Preferred: []string{"FS3", "FS1", "FS2"}},
		},
		Licenses:    []standincheck.License{{Product: "NetWare 6.5 Cluster Server", Version: "6.5", MinNodes: 3}},
		RebootDelay: rebootDelay.String(),
	}
	if edit != nil {
		edit(&desc)
	}
	descJSON, err := json.Marshal(desc)
	if err != nil {
		t.Fatal(err)
	}
	descFile := filepath.Join(dir, "cluster.json")
	if err := os.WriteFile(descFile, descJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RUNBOOK_") || strings.HasPrefix(name, "STANDIN_") {
			continue
		}
		e.env = append(e.env, kv)
	}
	e.env = append(e.env, "NO_COLOR=1", "STANDIN_DIR="+e.standinDir, "RUNBOOK_VAR_standin="+standin)
	if out, err := e.standinCmd("init", descFile); err != nil {
		t.Fatalf("standin init: %v\n%s", err, out)
	}
	return e
}

// standinCmd runs the stand-in directly, as someone at the cluster would.
func (e *execEnv) standinCmd(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), execWaitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.standin, args...)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// proc is a runbook process started in its own process group.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	code int
}

// start starts `runbook ARGS...` in a new process group of its own, so that
// a SIGINT to the group reaches it (and never the test), with env added to
// its environment.
func (e *execEnv) start(env []string, args ...string) *proc {
	e.t.Helper()
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.runbook, args...)
	p.cmd.Env = append(append([]string(nil), e.env...), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code and output.
func (p *proc) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(execRunLimit):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Fatalf("%s did not exit within %s; output:\n%s", strings.Join(p.cmd.Args, " "), execRunLimit, p.out)
	}
	return p.code, p.out.String()
}

// interrupt sends SIGINT to the process's whole group, as a terminal's
// Ctrl-C does to its foreground group.
func (p *proc) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// waitOutput waits until the output holds s.
func (p *proc) waitOutput(t *testing.T, s string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("output %q", s), func() bool { return strings.Contains(p.out.String(), s) })
}

// run runs `runbook run --auto-approve --state DIR FLAGS... RUNBOOK` to its
// end.
func (e *execEnv) run(env []string, flags ...string) (int, string) {
	e.t.Helper()
	return e.start(env, e.runArgs(flags...)...).wait(e.t)
}

func (e *execEnv) runArgs(flags ...string) []string {
	args := append([]string{"run", "--auto-approve", "--state", e.state}, flags...)
	return append(args, e.hcl)
}

// log reads the stand-in's log.
func (e *execEnv) log() []standincheck.Record {
	e.t.Helper()
	recs, err := standincheck.ReadLog(e.standinDir)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// waitOp waits until the stand-in has run the operation op ("upgrade FS1 6.5").
func (e *execEnv) waitOp(op string) {
	e.t.Helper()
	waitUntil(e.t, "the stand-in to run "+op, func() bool {
		recs, err := standincheck.ReadLog(e.standinDir)
		if err != nil {
			return false
		}
		for _, r := range standincheck.Operations(recs) {
			if r == op {
				return true
			}
		}
		return false
	})
}

// audit checks the stand-in's log; partial accepts a run not at its end.
func (e *execEnv) audit(partial bool) {
	e.t.Helper()
	if problems := standincheck.Audit(e.log(), standincheck.AuditOptions{Partial: partial}); len(problems) > 0 {
		e.t.Errorf("audit of the stand-in's log:\n%s", strings.Join(problems, "\n"))
	}
}

// upgrades counts the upgrade operations the stand-in ran per node.
func (e *execEnv) upgrades() map[string]int {
	out := map[string]int{}
	for _, op := range standincheck.Operations(e.log()) {
		if f := strings.Fields(op); f[0] == "upgrade" {
			out[f[1]]++
		}
	}
	return out
}

// journal returns the last status of each step in the journal.
func (e *execEnv) journal() map[string]string {
	e.t.Helper()
	recs, err := runtime.ReadJournal(local.New(e.state))
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for addr, r := range runtime.StepStatuses(recs) {
		out[addr] = r.Status
	}
	return out
}

// complete resumes the run to its end and checks the whole audit: each node
// upgraded exactly once.
func (e *execEnv) complete() string {
	e.t.Helper()
	code, out := e.run(nil)
	if code != exitOK {
		e.t.Fatalf("resumed run: exit %d; want %d\n%s", code, exitOK, out)
	}
	e.audit(false)
	if got, want := e.upgrades(), map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}; !cmp.Equal(got, want) {
		e.t.Errorf("upgrades per node %v; want %v", got, want)
	}
	return out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(execWaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, execWaitLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantContains(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	stepFS1Upgrade  = "rolling.upgrade[FS1].upgrade-node.upgrade"
	stepFS1Failback = "rolling.upgrade[FS1].await-failback.failback"
	stepFS2Upgrade  = "rolling.upgrade[FS2].upgrade-node.upgrade"
)

// TestExecRun: a whole exec run against the stand-in, to completion, in the
// order of the reference procedure, with a clean audit and the commands in
// the state directory's exec log.
func TestExecRun(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 100*time.Millisecond)
	out := e.complete()
	wantContains(t, out, "Run complete: 10 steps done", "backup of the cluster configuration taken")
	if diff := cmp.Diff(standincheck.CL1Operations, standincheck.Canonical(standincheck.Operations(e.log()))); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}

	// The exec log keeps every operation, and a status only when it changed.
	data, err := os.ReadFile(filepath.Join(e.state, execdriver.LogName))
	if err != nil {
		t.Fatal(err)
	}
	execLog := string(data)
	wantContains(t, execLog, "upgrade FS1 to 6.5: $ "+e.standin+" upgrade FS1 6.5\n", "media upgrade on FS1: $ /bin/sh -c ")
	statusRuns := 0
	for _, r := range e.log() {
		if r.Op() == "status" {
			statusRuns++
		}
	}
	if logged := strings.Count(execLog, " status: $ "); logged >= statusRuns {
		t.Errorf("the exec log holds %d status records for %d status commands; want only the changes", logged, statusRuns)
	}
}

// TestExecCtrlC: a Ctrl-C while the upgrade command runs. The command, in
// its own process group, survives it; the node finishes its upgrade; the run
// stops after the step with exit 3; the resumed run completes.
func TestExecCtrlC(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, time.Second)
	// The upgrade command takes a second after it has taken effect.
	p := e.start([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=1s"}, e.runArgs()...)
	e.waitOp("upgrade FS1 6.5")
	p.interrupt(t)
	code, out := p.wait(t)
	if code != 3 {
		t.Fatalf("exit %d; want 3\n%s", code, out)
	}
	wantContains(t, out, "interrupt: stopping after the current step", stepFS1Upgrade+": done in", "Stopped after "+stepFS1Upgrade)
	if got := e.journal()[stepFS1Upgrade]; got != runtime.StatusDone {
		t.Errorf("journal: %s is %q; want done", stepFS1Upgrade, got)
	}
	// The command was not killed: it exited 0 by itself.
	data, err := os.ReadFile(filepath.Join(e.state, execdriver.LogName))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`upgrade FS1 to 6\.5: \$ .*\n(  out\|.*\n)*  exit 0 \(after [1-9][\d.]*s\)`).Match(data) {
		t.Errorf("exec log: no upgrade of FS1 that exited 0 after its hang:\n%s", data)
	}
	e.audit(true)
	e.complete()
}

// TestExecCtrlCTwice: a second Ctrl-C kills the command in flight; the step
// is in doubt (status shows it) and the run exits 3 (runtime.OutcomeInterrupted:
// it stopped on purpose and can resume). The resumed run settles the step by
// reading the cluster's status: the upgrade had taken effect, so it is not
// run again.
func TestExecCtrlCTwice(t *testing.T) {
	t.Parallel()
	// A reboot long enough that the resumed run below starts while FS1 is
	// still rebooting into the upgrade the killed command issued.
	e := newExecEnv(t, 3*time.Second)
	// The upgrade takes effect, then its command hangs until killed.
	p := e.start([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=1m"}, e.runArgs()...)
	e.waitOp("upgrade FS1 6.5")
	p.interrupt(t)
	p.waitOutput(t, "stopping after the current step")
	p.interrupt(t)
	code, out := p.wait(t)
	if code != 3 {
		t.Fatalf("exit %d; want 3\n%s", code, out)
	}
	wantContains(t, out, "interrupt: aborting the current step", stepFS1Upgrade+": in doubt: aborted by a second interrupt: ", "was interrupted; its process group was killed",
		"Interrupted: interrupted during "+stepFS1Upgrade+", which is in doubt")
	if got := e.journal()[stepFS1Upgrade]; got != runtime.StatusInDoubt {
		t.Errorf("journal: %s is %q; want %s", stepFS1Upgrade, got, runtime.StatusInDoubt)
	}
	status := e.start(nil, "status", "--json", "--state", e.state, e.hcl)
	code, statusOut := status.wait(t)
	if code != exitOK || !regexp.MustCompile(`"address":\s*"`+regexp.QuoteMeta(stepFS1Upgrade)+`",\s*"status":\s*"in-doubt"`).MatchString(statusOut) {
		t.Errorf("runbook status --json: exit %d; want the step in doubt:\n%s", code, statusOut)
	}

	// Resume at once, while FS1 is still rebooting: the journal says the
	// interrupted attempt issued the upgrade, so the resumed step waits for
	// FS1 to rejoin rather than upgrade it a second time (complete checks
	// that each node was upgraded once).
	out, err := e.standinCmd("status")
	if st, perr := cluster.ParseStatus([]byte(out)); err != nil || perr != nil || st.Up("FS1") {
		t.Fatalf("FS1 should still be rebooting when the run resumes: %s %v %v", out, err, perr)
	}
	out = e.complete()
	wantContains(t, out, "the upgrade of FS1 was issued by an interrupted attempt: waiting for FS1 to rejoin at 6.5 instead of upgrading it again",
		stepFS1Upgrade+": done")
}

// TestExecCommandFails: a command that exits 1 fails its step with the
// command's stderr in the message; the journal keeps what was done and the
// run resumes once the cause is gone.
func TestExecCommandFails(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	code, out := e.run([]string{"STANDIN_FAULTS=fail:leave:FS2"})
	if code != exitFailed {
		t.Fatalf("exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantContains(t, out, stepFS2Upgrade+": failed: node FS2 leaving the cluster: leave FS2: command "+e.standin+" leave FS2 exited with status 1: standin: injected failure of \"leave FS2\"",
		"Run failed: "+stepFS2Upgrade+" failed")
	j := e.journal()
	if j[stepFS1Failback] != runtime.StatusDone || j[stepFS2Upgrade] != runtime.StatusFailed {
		t.Errorf("journal %v; want FS1 done and FS2's upgrade failed", j)
	}
	e.audit(true)
	out = e.complete()
	wantContains(t, out, "resuming: 3 done or skipped earlier")
}

// TestExecCommandHangs: a command that hangs past the step's timeout is
// killed with its process group and fails the step (exit 1).
func TestExecCommandHangs(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	// The command would hang for a minute: the run ends within execRunLimit
	// only if it is killed.
	code, out := e.run([]string{"STANDIN_FAULTS=hang:leave:FS1", "STANDIN_HANG=1m"}, "--var", "upgrade_timeout=1s")
	if code != exitFailed {
		t.Fatalf("exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantContains(t, out, stepFS1Upgrade+": in doubt: node FS1 leaving the cluster: leave FS1: command "+e.standin+" leave FS1 did not finish before the step's deadline",
		"its process group was killed", "Run failed: "+stepFS1Upgrade+" is in doubt")
	// Nothing happened to the cluster: the command hung before acting.
	e.audit(true)
	out = e.complete()
	wantContains(t, out, stepFS1Upgrade+": was left in doubt and its postcondition does not hold: running it again from where it stopped")
}

// TestExecBadStatus: a status command that prints something other than the
// status JSON stops the run with a clear error before it does anything; the
// journal is untouched and the run resumes once status is sound again.
func TestExecBadStatus(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	if code, out := e.run(nil, "--stop-after", stepFS1Failback); code != 3 {
		t.Fatalf("--stop-after: exit %d; want 3\n%s", code, out)
	}
	before, err := os.ReadFile(filepath.Join(e.state, local.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.standinCmd("fault", "add", "bad-status"); err != nil {
		t.Fatalf("standin fault add: %v\n%s", err, out)
	}
	code, out := e.run(nil)
	if code != exitFailed {
		t.Fatalf("exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantContains(t, out, "Error: cannot read the cluster's status: status: command "+e.standin+" status: ", `its output begins "Cluster CL1: status follows`)
	after, err := os.ReadFile(filepath.Join(e.state, local.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the journal changed:\n%s", after[len(before):])
	}
	if out, err := e.standinCmd("fault", "clear"); err != nil {
		t.Fatalf("standin fault clear: %v\n%s", err, out)
	}
	e.complete()
}

// TestExecDrift: someone moves resources by hand between two runs. The
// resumed run lists each difference on its own line, with what to do, and
// does nothing (exit 1); once they are put back, it completes.
func TestExecDrift(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	if code, out := e.run(nil, "--stop-after", stepFS1Failback); code != 3 {
		t.Fatalf("--stop-after: exit %d; want 3\n%s", code, out)
	}
	for _, args := range [][]string{{"migrate", "WEB", "FS1"}, {"offline", "POOL2_SERVER"}} {
		if out, err := e.standinCmd(args...); err != nil {
			t.Fatalf("standin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	code, out := e.run(nil)
	if code != exitFailed {
		t.Fatalf("exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantLines := []string{
		`resource POOL2_SERVER: journal expects running on FS2, cluster reports offline \(last on FS2\); bring it online on FS2, then run again`,
		`resource WEB: journal expects running on FS3, cluster reports running on FS1; move it back to FS3, then run again`,
		`Nothing was done: the cluster differs from what the journal expects in 2 place\(s\)\.$`,
	}
	for _, w := range wantLines {
		if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d ` + w + `|^` + w).MatchString(out) {
			t.Errorf("output lacks a line %s:\n%s", w, out)
		}
	}
	for _, args := range [][]string{{"migrate", "WEB", "FS3"}, {"online", "POOL2_SERVER", "FS2"}} {
		if out, err := e.standinCmd(args...); err != nil {
			t.Fatalf("standin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	e.complete()
}

// TestExecConcurrentRuns: a second run, started as another OS process while
// the first one works, is refused at once, naming the first.
func TestExecConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	first := e.start([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=1m"}, e.runArgs()...)
	e.waitOp("upgrade FS1 6.5")
	// The first run's upgrade command hangs for a minute: the second run
	// ends within execRunLimit only if it does not wait for the lock.
	code, out := e.run(nil)
	if code != exitFailed {
		t.Fatalf("second run: exit %d; want %d\n%s", code, exitFailed, out)
	}
	holder := regexp.MustCompile(fmt.Sprintf(`locked by \S+@\S+ \(PID %d, "runbook run [^"]*standin.hcl"\) since `, first.cmd.Process.Pid))
	if !holder.MatchString(out) {
		t.Errorf("second run printed:\n%s\nwant a match for %s", out, holder)
	}
	first.interrupt(t)
	first.waitOutput(t, "stopping after the current step")
	first.interrupt(t)
	if code, out := first.wait(t); code != 3 {
		t.Errorf("first run: exit %d; want 3\n%s", code, out)
	}
}

// TestExecWindow: with --window, a step whose timeout would run past the end
// is not started: the run stops between nodes with exit 3 and says what is
// left and how long it should take.
func TestExecWindow(t *testing.T) {
	t.Parallel()
	// Each upgrade takes at least the 3s reboot. The window leaves room for
	// FS1's upgrade (8s timeout) if it starts within 2s, which it does, and
	// not for FS2's, which cannot start before 3s.
	e := newExecEnv(t, 3*time.Second)
	code, out := e.run(nil, "--window", "10s", "--var", "upgrade_timeout=8s", "--var", "step_timeout=3s")
	if code != 3 {
		t.Fatalf("exit %d; want 3\n%s", code, out)
	}
	wantContains(t, out, ": "+stepFS2Upgrade+" (timeout 8s) would run past it, so it was not started",
		"Stopped after "+stepFS1Failback, "7 steps left, from "+stepFS2Upgrade+", about ")
	if got, want := e.upgrades(), map[string]int{"FS1": 1}; !cmp.Equal(got, want) {
		t.Errorf("upgrades per node %v; want %v", got, want)
	}
	e.audit(true)
}
