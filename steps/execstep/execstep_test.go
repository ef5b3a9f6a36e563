package execstep

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

func run(t *testing.T, c cluster.Command, timeout time.Duration) (string, error) {
	t.Helper()
	var out bytes.Buffer
	env := &steps.Env{Driver: nil, Output: &out, Dir: t.TempDir()}
	env.Driver = clockOnly{}
	in := &steps.Instance{Address: "step.exec.x", Type: "exec", Args: steps.Args{"command": c}}
	err := Type{}.Run(context.Background(), env, in, time.Now().Add(timeout))
	return out.String(), err
}

type clockOnly struct{ cluster.Driver }

func (clockOnly) Now() time.Time { return time.Now() }

func TestShellAndArgv(t *testing.T) {
	out, err := run(t, cluster.Command{Shell: "echo hello $((1+2)); pwd"}, 10*time.Second)
	if err != nil || !strings.HasPrefix(out, "hello 3\n") {
		t.Fatalf("shell: %q, %v", out, err)
	}
	out, err = run(t, cluster.Command{Argv: []string{"echo", "$HOME", "a b"}}, 10*time.Second)
	if err != nil || out != "$HOME a b\n" {
		t.Fatalf("argv: %q, %v", out, err)
	}
}

func TestFailureAndTimeout(t *testing.T) {
	_, err := run(t, cluster.Command{Shell: "echo disk full >&2; exit 3"}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("failure: %v", err)
	}
	start := time.Now()
	_, err = run(t, cluster.Command{Shell: "sleep 30 & sleep 30"}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish in time") {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the killed command kept the step waiting %s", d)
	}
}

func TestRehearsalDoesNotRun(t *testing.T) {
	dir := t.TempDir()
	env := &steps.Env{Driver: clockOnly{}, Dir: dir, Rehearsal: true}
	in := &steps.Instance{Args: steps.Args{"command": cluster.Command{Shell: "touch ran"}}}
	if err := (Type{}).Run(context.Background(), env, in, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/ran"); err == nil {
		t.Fatal("a rehearsal ran the local command")
	}
}
