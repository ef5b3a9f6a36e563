package execdriver

import (
	"context"
	"io"
	"os/exec"
	"syscall"
	"testing"

	"github.com/runbookhq/runbook/cluster"
)

// BenchmarkExecOperation compares one driver operation with spawning the
// same command directly with os/exec: the difference is the driver's
// overhead (evaluating the command, its own process group, bounded capture,
// the log record).
//
//	go test -run '^$' -bench ExecOperation -count 10 ./drivers/exec | benchstat -
func BenchmarkExecOperation(b *testing.B) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true(1)")
	}
	argv := cluster.Command{Argv: []string{truePath, "FS1"}}
	shell := cluster.Command{Shell: truePath + " FS1"}
	ctx := context.Background()

	b.Run("direct/argv", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(truePath, "FS1").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct/argv-setpgid-captured", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(truePath, "FS1")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if _, err := cmd.Output(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver/argv", func(b *testing.B) {
		d := benchDriver(b, argv, nil)
		for b.Loop() {
			if err := d.Leave(ctx, fs1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver/argv-logged", func(b *testing.B) {
		d := benchDriver(b, argv, io.Discard)
		for b.Loop() {
			if err := d.Leave(ctx, fs1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct/shell", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/sh", "-c", shell.Shell).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver/shell", func(b *testing.B) {
		d := benchDriver(b, shell, nil)
		for b.Loop() {
			if err := d.Leave(ctx, fs1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchDriver(b *testing.B, c cluster.Command, log io.Writer) *Driver {
	d, err := New(Config{
		Ops:    cluster.CommandsFunc(func(string, cluster.Subject) (cluster.Command, bool, error) { return c, true, nil }),
		Status: cluster.Command{Shell: "true"},
		Log:    log,
	})
	if err != nil {
		b.Fatal(err)
	}
	return d
}
