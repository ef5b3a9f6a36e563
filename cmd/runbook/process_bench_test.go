package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/testdata/gen"
)

// BenchmarkProcess measures the runbook command as an operator runs it, one
// OS process an iteration, on generated runbooks (package gen) of 100, 1,000
// and 10,000 nodes written to a temporary directory, beside the floor: bare
// (testdata/gen/bare), a program that only parses the same file with hcl and
// evaluates each attribute once. Besides the wall time it reports the CPU
// time (user and system) and the peak resident memory of the process, which
// vary less than the wall time on a busy machine, and for validate its CPU
// time over the floor's (x-bare-cpu).
//
//	go test ./cmd/runbook -run '^$' -bench Process -benchtime 3x
func BenchmarkProcess(b *testing.B) {
	dir := b.TempDir()
	runbook, bare := filepath.Join(dir, "runbook"), filepath.Join(dir, "bare")
	for bin, pkg := range map[string]string{runbook: "github.com/runbookhq/runbook/cmd/runbook", bare: "github.com/runbookhq/runbook/testdata/gen/bare"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	for _, n := range []int{100, 1000, 10000} {
		path := filepath.Join(dir, fmt.Sprintf("gen%d.hcl", n))
		if err := os.WriteFile(path, gen.Runbook(n), 0o644); err != nil {
			b.Fatal(err)
		}
		var bareCPU float64
		b.Run(fmt.Sprintf("bare/nodes=%d", n), func(b *testing.B) {
			bareCPU = benchProcess(b, func(int) []string { return []string{bare, path} })
		})
		b.Run(fmt.Sprintf("validate/nodes=%d", n), func(b *testing.B) {
			cpu := benchProcess(b, func(int) []string { return []string{runbook, "validate", path} })
			if bareCPU > 0 {
				// validate's CPU time over the floor's, measured in the same run.
				b.ReportMetric(cpu/bareCPU, "x-bare-cpu")
			}
		})
		b.Run(fmt.Sprintf("run-sim/nodes=%d", n), func(b *testing.B) {
			benchProcess(b, func(i int) []string {
				state := filepath.Join(dir, fmt.Sprintf("state%d-%d", n, i))
				return []string{runbook, "run", "--driver", "sim", "--auto-approve", "--state", state, path}
			})
		})
	}
}

// benchProcess runs the command argv(i) returns once an iteration, and
// reports its CPU time and peak memory. It returns the CPU time in
// milliseconds an iteration.
func benchProcess(b *testing.B, argv func(i int) []string) float64 {
	var cpu time.Duration
	var rss int64
	for i := 0; i < b.N; i++ {
		args := argv(i)
		cmd := exec.Command(args[0], args[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, tail(out))
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = max(rss, ru.Maxrss) // KiB on Linux
		}
	}
	ms := float64(cpu.Milliseconds()) / float64(b.N)
	b.ReportMetric(ms, "cpu-ms/op")
	b.ReportMetric(float64(rss)/1024, "peak-MiB")
	return ms
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}
