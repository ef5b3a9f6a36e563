package pacemaker

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// PrefixRunner returns a Runner that runs prefix(node) followed by argv on
// this machine: `ssh root@ADDRESS argv...` for a real cluster, `nsenter
// ... -- argv...` for the test harness. A prefix given as a string (a
// Shell command) runs under /bin/sh -c with argv as its arguments ("$@").
func PrefixRunner(prefix func(node string) (cluster.Command, error)) Runner {
	return func(ctx context.Context, node string, argv ...string) ([]byte, error) {
		p, err := prefix(node)
		if err != nil {
			return nil, err
		}
		var full []string
		if p.Argv != nil {
			full = append(append(full, p.Argv...), argv...)
		} else {
			full = append([]string{"/bin/sh", "-c", p.Shell + ` "$@"`, "sh"}, argv...)
		}
		if len(full) == 0 {
			return nil, fmt.Errorf("empty command for %s", node)
		}
		return runLocal(ctx, "", full)
	}
}

// Argv returns the argv that runs c: its Argv, or /bin/sh -c for a Shell
// command.
func Argv(c cluster.Command) []string {
	if c.Argv != nil {
		return c.Argv
	}
	return []string{"/bin/sh", "-c", c.Shell}
}

// RunLocal runs c on this machine in dir. A non-zero exit is an error that
// carries the command's standard error.
func RunLocal(ctx context.Context, dir string, c cluster.Command) error {
	_, err := runLocal(ctx, dir, Argv(c))
	return err
}

func runLocal(ctx context.Context, dir string, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		if msg != "" {
			return stdout.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, msg)
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return stdout.Bytes(), nil
}
