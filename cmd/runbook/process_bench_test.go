package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/runbookhq/runbook/testdata/gen"
)

// BenchmarkProcess measures the runbook command as an operator runs it, one
// OS process an iteration, on generated runbooks (package gen) of 100, 1,000
// and 10,000 nodes written to a temporary directory, beside the floor: bare
// (testdata/gen/bare), a program that only parses the same file with hcl and
// evaluates each attribute once.
//
// Each process is started by a small program (testdata/measure), as from a
// shell with its output sent to a file: stdout goes to /dev/null, not
// through a pipe the benchmark would read with CPU time the process could
// use. Each result is the process's own, an iteration: its wall time from
// start to exit (ns/op), its CPU time, user and system (cpu-ms/op), its
// peak resident memory (peak-MiB, the largest of the iterations) and the
// page faults it took (faults/op: each page touched for the first time; on
// a virtual machine each costs microseconds of system time). validate also
// reports its wall and CPU time over the floor's, measured in the same run
// (x-bare, x-bare-cpu). Each run-sim iteration starts on a fresh state
// directory. Wall times vary with what else the machine runs: compare the
// results of one run, and run it several times.
//
//	go test ./cmd/runbook -run '^$' -bench Process -benchtime 3x
func BenchmarkProcess(b *testing.B) {
	dir := b.TempDir()
	runbook, bare, measure := filepath.Join(dir, "runbook"), filepath.Join(dir, "bare"), filepath.Join(dir, "measure")
	for bin, pkg := range map[string]string{runbook: "github.com/runbookhq/runbook/cmd/runbook", bare: "github.com/runbookhq/runbook/testdata/gen/bare", measure: "./testdata/measure"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	for _, n := range []int{100, 1000, 10000} {
		path := filepath.Join(dir, fmt.Sprintf("gen%d.hcl", n))
		if err := os.WriteFile(path, gen.Runbook(n), 0o644); err != nil {
			b.Fatal(err)
		}
		var floor processCost
		b.Run(fmt.Sprintf("bare/nodes=%d", n), func(b *testing.B) {
			floor = benchProcess(b, measure, func(int) []string { return []string{bare, path} })
		})
		b.Run(fmt.Sprintf("validate/nodes=%d", n), func(b *testing.B) {
			c := benchProcess(b, measure, func(int) []string { return []string{runbook, "validate", path} })
			if floor.wall > 0 && floor.cpu > 0 {
				b.ReportMetric(float64(c.wall)/float64(floor.wall), "x-bare")
				b.ReportMetric(float64(c.cpu)/float64(floor.cpu), "x-bare-cpu")
			}
		})
		b.Run(fmt.Sprintf("run-sim/nodes=%d", n), func(b *testing.B) {
			benchProcess(b, measure, func(i int) []string {
				state := filepath.Join(dir, fmt.Sprintf("state%d-%d", n, i))
				// The benchmark calls this function more than once, each
				// time from i = 0: not a run resumed from an earlier one.
				if err := os.RemoveAll(state); err != nil {
					b.Fatal(err)
				}
				return []string{runbook, "run", "--driver", "sim", "--auto-approve", "--state", state, path}
			})
		})
	}
}

// processCost is what a process cost an iteration, on average.
type processCost struct {
	wall, cpu time.Duration
}

// benchProcess runs the command argv(i) returns once an iteration, through
// measure, and reports what it cost as the process's own (BenchmarkProcess).
// It returns its wall and CPU time an iteration.
func benchProcess(b *testing.B, measure string, argv func(i int) []string) processCost {
	var wall, cpu time.Duration
	var rss, faults int64
	for i := 0; i < b.N; i++ {
		args := argv(i)
		cmd := exec.Command(measure, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var code, ns, user, sys, maxrss, flt int64
		if err == nil {
			_, err = fmt.Sscan(string(out), &code, &ns, &user, &sys, &maxrss, &flt)
		}
		if err == nil && code != 0 {
			err = fmt.Errorf("exit status %d", code)
		}
		if err != nil {
			b.Fatalf("%v: %v\n%s", args, err, tail(stderr.Bytes()))
		}
		wall += time.Duration(ns)
		cpu += time.Duration(user + sys)
		rss = max(rss, maxrss) // KiB
		faults += flt
	}
	b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(rss)/1024, "peak-MiB")
	b.ReportMetric(float64(faults)/float64(b.N), "faults/op")
	return processCost{wall: wall / time.Duration(b.N), cpu: cpu / time.Duration(b.N)}
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}
