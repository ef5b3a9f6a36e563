package execdriver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime/procgroup"
)

// maxErrOutput bounds the command output quoted in an error message.
const maxErrOutput = 2000

// CommandError is the error of a command that did not succeed: it exited
// non-zero, was killed, or could not be started.
type CommandError struct {
	// What names the operation and its subject ("leave FS1").
	What string
	// Command is the command line as run, quoted for display.
	Command string
	// ExitCode is the exit status, or -1 if the command did not exit by
	// itself (killed, or never started).
	ExitCode int
	// Stderr is the command's error output, trimmed and bounded; its
	// standard output when it wrote nothing to stderr.
	Stderr string
	// InDoubt is set when the command may have taken effect although it
	// failed: it was killed before it finished.
	InDoubt bool
	// Cause is the underlying error: the context's error when the command
	// was stopped, the start error, or the exit error.
	Cause error
	// Problem says what happened, in words ("exited with status 1").
	Problem string
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: command %s %s", e.What, e.Command, e.Problem)
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	}
	if e.InDoubt {
		b.WriteString(" (")
		b.WriteString(cluster.ErrInDoubt.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns cluster.ErrInDoubt when the outcome is in doubt, and Cause.
func (e *CommandError) Unwrap() []error {
	var errs []error
	if e.InDoubt {
		errs = append(errs, cluster.ErrInDoubt)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// capture keeps the first max bytes written to it and counts the rest.
type capture struct {
	buf     []byte
	max     int
	dropped int64
}

func (c *capture) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if room > len(p) {
		room = len(p)
	}
	if room > 0 {
		c.buf = append(c.buf, p[:room]...)
	} else {
		room = 0
	}
	c.dropped += int64(len(p) - room)
	return len(p), nil
}

// result is what one command did.
type result struct {
	stdout, stderr capture
	exitCode       int
	took           time.Duration
	pgid           int
}

// run runs c for the operation what, and returns an error unless it exits 0.
// mutating says whether a killed command leaves the outcome in doubt.
func (d *Driver) run(ctx context.Context, what string, c cluster.Command, mutating bool) (*result, error) {
	var name string
	var args []string
	switch {
	case len(c.Argv) > 0:
		name, args = c.Argv[0], c.Argv[1:]
	case c.Argv == nil && strings.TrimSpace(c.Shell) != "":
		name, args = "/bin/sh", []string{"-c", c.Shell}
	default:
		return nil, fmt.Errorf("%s: the command is empty", what)
	}
	display := displayCommand(hidden(c, d.cfg.Redact))
	r := &result{exitCode: -1}
	r.stdout.max, r.stderr.max = d.maxOutput, d.maxOutput
	cmdErr := func(problem string, inDoubt bool, cause error) *CommandError {
		return &CommandError{What: what, Command: display, ExitCode: r.exitCode, Stderr: errOutput(r),
			InDoubt: inDoubt && mutating, Cause: cause, Problem: problem}
	}

	if err := ctx.Err(); err != nil {
		return nil, cmdErr("was not started", false, err)
	}
	parent := ctx
	if d.cfg.CommandTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.CommandTimeout)
		defer cancel()
	}

	if p, ok := lookPathIn(name, d.cfg.Env); ok {
		name = p
	}
	var gateR, gateW *os.File
	var ran string
	if mutating {
		// The command waits at a gate until its process group has been
		// reported (and journaled): an operation whose start was never
		// reported never ran. A runbook that dies before it opens the gate
		// closes it, and the command does not run.
		if err := findCommand(name, d.cfg.Dir, d.cfg.Env); err != nil {
			d.logRun(what, display, r, err)
			return r, cmdErr("could not be started", false, err)
		}
		var err error
		if gateR, gateW, err = os.Pipe(); err != nil {
			return r, cmdErr("could not be started", false, err)
		}
		defer gateR.Close()
		defer gateW.Close()
		ran = filepath.Join(d.gateDir, "runbook-ran-"+randomName())
		args = append([]string{"-c", gateScript, "runbook-gate", ran, name}, args...)
		name = "/bin/sh"
	}
	cmd := exec.Command(name, args...)
	if gateR != nil {
		cmd.ExtraFiles = []*os.File{gateR} // fd 3
	}
	cmd.Dir = d.cfg.Dir
	if len(d.cfg.Env) > 0 {
		cmd.Env = append(cmd.Environ(), d.cfg.Env...)
	}
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	// Its own process group: the terminal's Ctrl-C goes to the runbook, not to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Bounds the wait for output pipes that processes the command left
	// behind still hold open.
	cmd.WaitDelay = d.grace

	start := time.Now()
	if err := cmd.Start(); err != nil {
		d.logRun(what, display, r, err)
		return r, cmdErr("could not be started", false, err)
	}
	r.pgid = cmd.Process.Pid
	if mutating {
		// The caller journals it: a command outlives a runbook that dies.
		// Then the gate opens.
		gateR.Close()
		cluster.CommandStarted(parent, cluster.StartedCommand{Pgid: r.pgid, Ran: ran})
		_, _ = gateW.Write([]byte("\n"))
		gateW.Close()
		// Once it has ended, the journal has its outcome: the file has
		// served.
		defer os.Remove(ran)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var waitErr error
	select {
	case waitErr = <-done:
		r.took = time.Since(start)
	case <-ctx.Done():
		waitErr = d.stopGroup(r.pgid, done)
		r.took = time.Since(start)
		if cmd.ProcessState != nil && cmd.ProcessState.Exited() {
			r.exitCode = cmd.ProcessState.ExitCode()
		}
		var problem string
		switch {
		case parent.Err() == nil:
			problem = fmt.Sprintf("did not finish within %s (the exec driver's command timeout); its process group was killed", d.cfg.CommandTimeout)
		case errors.Is(parent.Err(), context.DeadlineExceeded):
			problem = fmt.Sprintf("did not finish before the step's deadline (after %s); its process group was killed", r.took.Round(time.Millisecond))
		default:
			problem = "was interrupted; its process group was killed"
		}
		d.logRun(what, display, r, errors.New(problem))
		return r, cmdErr(problem, true, ctx.Err())
	}

	if st := cmd.ProcessState; st != nil {
		r.exitCode = st.ExitCode()
	}
	d.logRun(what, display, r, waitErr)
	if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				// Killed by someone else mid-way: it may have acted.
				return r, cmdErr(fmt.Sprintf("was killed by signal %s", ws.Signal()), true, waitErr)
			}
			if slices.Contains(d.cfg.InDoubtExitCodes, r.exitCode) {
				return r, cmdErr(fmt.Sprintf("exited with status %d, which leaves its outcome unknown (in_doubt_exit_codes)", r.exitCode), true, waitErr)
			}
			return r, cmdErr(fmt.Sprintf("exited with status %d", r.exitCode), false, waitErr)
		}
		return r, cmdErr("failed", true, waitErr)
	}
	return r, nil
}

// killedByStopSignal reports whether err is that of a command killed by one
// of the signals that stop a runbook: SIGINT, SIGTERM, SIGQUIT or SIGHUP.
func killedByStopSignal(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return false
	}
	switch ws.Signal() {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP:
		return true
	}
	return false
}

// gateScript holds a command until a line arrives on fd 3, then creates
// the file $1 (its Ran file) and runs the command in place of the shell
// (same process, same group), without fd 3. End of file instead (the
// runbook died before it opened the gate) runs nothing.
const gateScript = `IFS= read -r _ <&3 || exit 125; : > "$1" || exit 125; shift; exec "$@" 3<&-`

// randomName is a name no other command's Ran file has.
func randomName() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// GatesStarts reports that the driver runs no command of an operation
// before it has reported the command's process group
// (steps.CommandStarted) and that report has returned.
func (d *Driver) GatesStarts() bool { return true }

// findCommand finds name as exec.Command would (a bare name in the PATH
// env sets, or the runbook's; a path from dir), to tell a command that does
// not exist before the gate hides it behind /bin/sh.
func findCommand(name, dir string, env []string) error {
	if !strings.Contains(name, "/") {
		if _, ok := lookPathIn(name, env); ok {
			return nil
		}
		_, err := exec.LookPath(name)
		return err
	}
	if !filepath.IsAbs(name) && dir != "" {
		name = filepath.Join(dir, name)
	}
	fi, err := os.Stat(name)
	if err == nil && (fi.IsDir() || fi.Mode()&0o111 == 0) {
		err = fmt.Errorf("%s is not an executable file", name)
	}
	return err
}

// lookPathIn finds a bare command name in the PATH that env sets, if it
// sets one: the command should see the PATH the runbook gives it, and
// os/exec would search the runbook process's own.
func lookPathIn(name string, env []string) (string, bool) {
	if strings.Contains(name, "/") {
		return "", false
	}
	path, found := "", false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path, found = v, true
		}
	}
	if !found {
		return "", false
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// stopGroup ends the process group pgid: SIGTERM, then SIGKILL once the
// grace period has passed with some member still alive. It returns the
// leader's wait error from done.
// killWait bounds how long stopGroup waits for the members of a process
// group it sent SIGKILL to to die.
const killWait = 2 * time.Second

func (d *Driver) stopGroup(pgid int, done <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	var waitErr error
	leaderDone := false
	deadline := time.NewTimer(d.grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case waitErr = <-done:
			leaderDone = true
			done = nil
		case <-tick.C:
		case <-deadline.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			if !leaderDone {
				waitErr = <-done
			}
			// SIGKILL cannot be ignored, but each member dies only when the
			// kernel gets to it (on a loaded machine, after the leader was
			// reaped): wait for that, so that the operation is settled only
			// once nothing of its command runs. Bounded: a member stuck in
			// the kernel (uninterruptible sleep) is left to it.
			for end := time.Now().Add(killWait); procgroup.Alive(pgid) && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			return waitErr
		}
		// The leader's pid stays reserved as the group's id while any member
		// lives, so the probe cannot hit an unrelated group.
		if leaderDone && !procgroup.Alive(pgid) {
			return waitErr
		}
	}
}

// errOutput is the output quoted in an error: stderr, or stdout when stderr
// is empty, trimmed and bounded to its last maxErrOutput bytes.
func errOutput(r *result) string {
	out := bytes.TrimSpace(r.stderr.buf)
	if len(out) == 0 {
		out = bytes.TrimSpace(r.stdout.buf)
	}
	if len(out) > maxErrOutput {
		out = append([]byte("..."), out[len(out)-maxErrOutput:]...)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// displayCommand renders a command for messages and the log: an argv with
// each word quoted as a shell would need it, a shell string as it is.
func displayCommand(c cluster.Command) string {
	if c.Argv == nil {
		return "/bin/sh -c " + shellQuote(c.Shell)
	}
	words := make([]string, len(c.Argv))
	for i, w := range c.Argv {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
