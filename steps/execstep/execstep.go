// Package execstep is the exec step type: it runs a local command, for
// example to notify a channel or take a backup, with its output captured into
// the run's log.
package execstep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the exec step type.
type Type struct{}

var (
	_ steps.Type      = Type{}
	_ steps.PlanNoter = Type{}
)

func (Type) Name() string { return "exec" }
func (Type) Doc() string {
	return "Runs a local command (a string under /bin/sh -c, a list as argv), its output captured into the run's log."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "command", Kind: steps.KindCommand, Required: true, Doc: "The command: a string runs under /bin/sh -c, each value in it (${...}) quoted as one word (raw(...) does not quote); a list of strings runs as argv with no shell."},
		{Name: "dir", Kind: steps.KindString, Default: "the runbook's directory", Doc: "The working directory."},
		{Name: "env", Kind: steps.KindStringList, Doc: "Extra environment variables, as \"NAME=value\"."},
	}
}
func (Type) DefaultTimeout() time.Duration { return 10 * time.Minute }

// Mutates is false: the command acts outside the cluster, so validate and
// plan do not run it, nor does a rehearsal of a runbook written for a real
// cluster (run --driver sim), and on_failure = "continue" is allowed.
func (Type) Mutates() bool { return false }

// PlanNote says what the step does instead of changing the cluster.
func (Type) PlanNote() string { return "runs a local command" }

func (Type) Check(*steps.Env, *cluster.Status, *steps.Instance) []steps.Problem { return nil }

// Done is false: a local command's effect cannot be read from the cluster.
func (Type) Done(*steps.Env, *cluster.Status, *steps.Instance) bool { return false }

// maxOutput bounds the output kept for the error message.
const maxOutput = 4096

func (Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	c := in.Args.Command("command")
	if env.Rehearsal {
		env.Log("rehearsal on the simulator: the local command is not run: %s", c.String())
		return nil
	}
	var cmd *exec.Cmd
	ctx, cancel := context.WithDeadline(ctx, time.Now().Add(deadline.Sub(env.Driver.Now())))
	defer cancel()
	switch {
	case len(c.Argv) > 0:
		cmd = exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	case c.Shell != "":
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", c.Shell)
	default:
		return errors.New("empty command")
	}
	cmd.Dir = env.Dir
	if d := in.Args.String("dir"); filepath.IsAbs(d) {
		cmd.Dir = d
	} else if d != "" {
		cmd.Dir = filepath.Join(env.Dir, d)
	}
	if extra := in.Args.Strings("env"); len(extra) > 0 {
		cmd.Env = append(cmd.Environ(), extra...)
	}
	// Its own process group: a Ctrl-C at the terminal does not kill it; a
	// cancelled run kills the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var tail tailBuffer
	var out io.Writer = &tail
	if env.Output != nil {
		out = io.MultiWriter(env.Output, &tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("command %q did not finish in time: %w", c.String(), ctx.Err())
	default:
		return fmt.Errorf("command %q failed (%v): %s", c.String(), err, strings.TrimSpace(tail.String()))
	}
}

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct{ bytes.Buffer }

func (t *tailBuffer) Write(p []byte) (int, error) {
	n, _ := t.Buffer.Write(p)
	if t.Len() > maxOutput {
		b := t.Bytes()[t.Len()-maxOutput:]
		rest := append([]byte(nil), b...)
		t.Reset()
		t.Buffer.Write(rest)
	}
	return n, nil
}
