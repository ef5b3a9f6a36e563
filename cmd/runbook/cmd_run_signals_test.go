package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

// The tests of this file run `runbook run` as an operator at a terminal
// does: in a session of its own on a pseudo-terminal, against the stand-in
// cluster (see cmd_run_exec_test.go). A Ctrl-C is the byte the terminal
// turns into SIGINT; a dropped connection is the terminal's master side
// closing, which the kernel turns into a SIGHUP.

const stepApprove = "step.approve.media"

// ptyProc is a runbook process on a pseudo-terminal.
type ptyProc struct {
	*proc
	tty *os.File // the terminal's master side
}

// startPTY starts `runbook ARGS...` as the leader of a new session whose
// controlling terminal is a new pseudo-terminal; everything it prints there
// is collected in p.out.
func (e *execEnv) startPTY(env []string, args ...string) *ptyProc {
	e.t.Helper()
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.runbook, args...)
	p.cmd.Env = append(append([]string(nil), e.env...), env...)
	master, err := pty.StartWithSize(p.cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		e.t.Fatal(err)
	}
	tty, err := pollable(master)
	if err != nil {
		e.t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		io.Copy(p.out, tty) // until the process exits or the test closes tty
		close(drained)
	}()
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
		// What the process wrote last may still be in the terminal: done
		// once it is read (the master reads the rest, then fails), or the
		// test closed the terminal.
		select {
		case <-drained:
		case <-time.After(execWaitLimit):
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		tty.Close()
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return &ptyProc{proc: p, tty: tty}
}

// pollable returns the pseudo-terminal's master as a file that Go's poller
// reads, and closes f. creack/pty leaves the master in blocking mode (it
// calls Fd for its ioctls): a Close then waits for the pending Read of the
// drain, which only returns with the next output, so the terminal would hang
// up late. The copy is close-on-exec, so that no process the tests start
// holds the terminal open.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	syscall.ForkLock.RLock()
	fd, err := syscall.Dup(int(f.Fd()))
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// send sends sig to the runbook process alone, as kill(1) does.
func (p *ptyProc) send(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// answer types s at the terminal once the output holds prompt.
func (p *ptyProc) answer(t *testing.T, prompt, s string) {
	t.Helper()
	p.waitOutput(t, prompt)
	if _, err := p.tty.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// runLog reads run.log of the state directory.
func (e *execEnv) runLog() string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.state, runLogFile))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// TestSignalStops: SIGTERM and SIGQUIT, sent while a step's command runs,
// act as a first Ctrl-C: the step finishes and is journaled done, and the
// run stops after it with exit 3; run.log has what the terminal showed.
func TestSignalStops(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGTERM, "terminated"}, {syscall.SIGQUIT, "quit"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newExecEnv(t, 100*time.Millisecond)
			// The upgrade command takes 3s after it has taken effect: the
			// signal comes while it runs, even on a busy machine.
			p := e.startPTY([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=3s"}, e.runArgs()...)
			e.waitOp("upgrade FS1 6.5")
			p.send(t, tc.sig)
			code, out := p.wait(t)
			if code != exitStopped {
				t.Fatalf("exit %d; want %d\n%s", code, exitStopped, out)
			}
			want := []string{tc.name + ": stopping after the current step", stepFS1Upgrade + ": done in", "Stopped after " + stepFS1Upgrade}
			wantContains(t, out, want...)
			wantContains(t, e.runLog(), want...)
			if got := e.journal()[stepFS1Upgrade]; got != runtime.StatusDone {
				t.Errorf("journal: %s is %q; want done", stepFS1Upgrade, got)
			}
			e.audit(true)
		})
	}
}

// TestSignalHangup: the terminal goes away (its master side is closed, as
// sshd does when the connection drops) while a step's command runs. The
// kernel's SIGHUP stops the run after the step, as a first Ctrl-C; a second
// SIGHUP (a shell passes its own on to its jobs) does not abort the step.
// The writes to the dead terminal fail and the output goes on to run.log;
// the step is journaled done, and the run resumes and completes.
func TestSignalHangup(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 100*time.Millisecond)
	p := e.startPTY([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=4s"}, e.runArgs()...)
	e.waitOp("upgrade FS1 6.5")
	p.tty.Close()
	waitUntil(t, "the hangup's notice in run.log", func() bool {
		return strings.Contains(e.runLog(), "hangup: the terminal is gone; stopping after the current step")
	})
	p.send(t, syscall.SIGHUP)
	code, _ := p.wait(t)
	log := e.runLog()
	if code != exitStopped {
		t.Fatalf("exit %d; want %d\nrun.log:\n%s", code, exitStopped, log)
	}
	wantContains(t, log, "hangup: still stopping after the current step (a hangup never aborts a step)",
		stepFS1Upgrade+": done in", "Stopped after "+stepFS1Upgrade, "stopped as asked (hangup)")
	if strings.Index(log, "hangup: the terminal is gone") > strings.Index(log, stepFS1Upgrade+": done in") {
		t.Errorf("the hangup came after the step it should have let finish:\n%s", log)
	}
	if got := e.journal()[stepFS1Upgrade]; got != runtime.StatusDone {
		t.Errorf("journal: %s is %q; want done", stepFS1Upgrade, got)
	}
	info, err := os.Stat(filepath.Join(e.state, runLogFile))
	if err != nil {
		t.Fatal(err)
	}
	if m := info.Mode().Perm(); m != 0o600 {
		t.Errorf("run.log has mode %v; want 0600", m)
	}
	e.audit(true)
	e.complete()
	// Each run appends its own section.
	if n := strings.Count(e.runLog(), "\n--- "); n != 1 {
		t.Errorf("run.log has %d run headers after the first; want 1:\n%s", n, e.runLog())
	}
}

// TestSignalTwice: a second SIGTERM aborts the step in flight, which is
// journaled in doubt (exit 3), as a second Ctrl-C does.
func TestSignalTwice(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 100*time.Millisecond)
	// The upgrade takes effect, then its command hangs until killed.
	p := e.startPTY([]string{"STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=1m"}, e.runArgs()...)
	e.waitOp("upgrade FS1 6.5")
	p.send(t, syscall.SIGTERM)
	p.waitOutput(t, "terminated: stopping after the current step")
	p.send(t, syscall.SIGTERM)
	code, out := p.wait(t)
	if code != exitStopped {
		t.Fatalf("exit %d; want %d\n%s", code, exitStopped, out)
	}
	wantContains(t, out, "terminated: aborting the current step", stepFS1Upgrade+": in doubt: aborted by a second interrupt: ",
		"Interrupted: interrupted during "+stepFS1Upgrade+", which is in doubt")
	if got := e.journal()[stepFS1Upgrade]; got != runtime.StatusInDoubt {
		t.Errorf("journal: %s is %q; want %s", stepFS1Upgrade, got, runtime.StatusInDoubt)
	}
	e.audit(true)
}

// TestClosedStdout: `runbook run ... | head` whose reader has exited. The
// writes to the closed pipe fail (no SIGPIPE ends the process), the run
// goes on to the end, and run.log has all of it.
func TestClosedStdout(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first line
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.runbook, e.runArgs()...)
	p.cmd.Env = e.env
	p.cmd.Stdout, p.cmd.Stderr = w, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.code = 128 + int(ws.Signal())
			}
		}
		close(p.done)
	}()
	code, stderr := p.wait(t)
	log := e.runLog()
	if code != exitOK {
		t.Fatalf("exit %d; want 0\nstderr:\n%s\nrun.log:\n%s", code, stderr, log)
	}
	wantContains(t, log, stepFS1Upgrade+": done in", "backup of the cluster configuration taken", "Run complete: 10 steps done")
	e.audit(false)
}

// TestApproveCtrlC: Ctrl-C at the approve prompt stops the run at once
// (exit 3), with the step not approved: the journal has it started, never
// done, and nothing after it ran. The resumed run's confirmation shows what
// is left, from that step; it asks again, and yes completes the run.
func TestApproveCtrlC(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	args := []string{"run", "--state", e.state, e.hcl}
	p := e.startPTY(nil, args...)
	p.answer(t, "Enter a value:", "yes\r")
	p.answer(t, "Type yes to approve:", "\x03")
	code, out := p.wait(t)
	if code != exitStopped {
		t.Fatalf("exit %d; want %d\n%s", code, exitStopped, out)
	}
	wantContains(t, out, "interrupt: not approved; stopping here",
		`stopped at `+stepApprove+`: "Upgrade the shared media? Every pool goes offline until it is done." was not approved: interrupted at the prompt`)
	// run.log has what the terminal showed, the plan confirmed included.
	wantContains(t, e.runLog(), "Plan for runbook standin: 10 steps", "Do you want to perform these steps?",
		"Type yes to approve:", "interrupt: not approved; stopping here")
	j := e.journal()
	if j[stepApprove] != runtime.StatusStarted || j["step.media-upgrade.pools"] != "" {
		t.Errorf("journal %v; want %s started and nothing after it", j, stepApprove)
	}
	recs, err := runtime.ReadJournal(local.New(e.state))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Address == stepApprove && r.Status == runtime.StatusDone || r.Type == runtime.RecordApproval {
			t.Errorf("the journal records an answer or %s done: %+v", stepApprove, r)
		}
	}

	p = e.startPTY(nil, args...)
	p.answer(t, "Enter a value:", "yes\r")
	p.answer(t, "Type yes to approve:", "yes\r")
	code, out = p.wait(t)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d; want 0\n%s", code, out)
	}
	// The confirmation shows what is left, from the step not approved.
	wantContains(t, out, "Steps 1-8 are done (not shown, not run again); the run resumes at step 9",
		"stopped here in an earlier run: runs again (no cluster effect: asks the operator)", " for 2 steps left.",
		stepApprove+": approved by the operator", "Run complete: 2 steps done (and 8 earlier)")
	if strings.Contains(out, stepFS1Upgrade) {
		t.Errorf("the resumed run's confirmation shows done steps:\n%s", out)
	}
	e.audit(false)
}

// TestConfirmCtrlC: Ctrl-C at the run's confirmation cancels it at once;
// nothing is journaled.
func TestConfirmCtrlC(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	p := e.startPTY(nil, "run", "--state", e.state, e.hcl)
	p.answer(t, "Enter a value:", "\x03")
	code, out := p.wait(t)
	if code != exitFailed {
		t.Fatalf("exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantContains(t, out, "Interrupted at the prompt.", "Run cancelled: nothing was done.")
	if _, err := os.Stat(filepath.Join(e.state, local.JournalFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a journal was written (%v)", err)
	}
}

// TestStalledTerminal: the terminal takes no output (Ctrl-S, as a
// connection that dropped without a word does once its buffers are full).
// The run does not wait for it: it goes on to the end, with all of its
// output in run.log, and exits once it has waited a bounded time for the
// terminal at the end.
func TestStalledTerminal(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	p := e.startPTY(nil, e.runArgs()...)
	if _, err := p.tty.Write([]byte("\x13")); err != nil { // Ctrl-S: XOFF
		t.Fatal(err)
	}
	code, _ := p.wait(t)
	log := e.runLog()
	if code != exitOK {
		t.Fatalf("exit %d; want 0\nrun.log:\n%s", code, log)
	}
	wantContains(t, log, "Run complete: 10 steps done")
	e.audit(false)
}

// TestNohup: under nohup (SIGHUP ignored from the start) a hangup does not
// stop the run: it goes on to the end.
func TestNohup(t *testing.T) {
	t.Parallel()
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("no nohup:", err)
	}
	e := newExecEnv(t, 100*time.Millisecond)
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(nohup, append([]string{e.runbook}, e.runArgs()...)...)
	p.cmd.Env = append(append([]string(nil), e.env...), "STANDIN_FAULTS=hang-after:upgrade:FS1", "STANDIN_HANG=3s")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	e.waitOp("upgrade FS1 6.5")
	// nohup has exec'd runbook: the process is runbook's.
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	code, out := p.wait(t)
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, out)
	}
	wantContains(t, out, "Run complete: 10 steps done")
	if strings.Contains(out, "hangup") {
		t.Errorf("the run saw the hangup:\n%s", out)
	}
	e.audit(false)
}
