package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
	"github.com/runbookhq/runbook/testdata/gen"
)

// bigRunbook writes a runbook of n nodes, one shared resource homed on each
// (failing over to the next node), the licence, the roll with failback and
// the media upgrade.
func bigRunbook(b *testing.B, dir string, n int) string {
	var s strings.Builder
	s.WriteString("runbook \"big\" {\n  version = \"1.0.0\"\n}\n\ncluster \"BIG\" {\n  driver = \"sim\"\n}\n\n")
	name := func(i int) string { return fmt.Sprintf("N%04d", i%n) }
	for i := range n {
		fmt.Fprintf(&s, "node %q {\n  address = \"10.0.%d.%d\"\n  version = \"6.0\"\n}\n", name(i), i/250, i%250+1)
	}
	for i := range n {
		fmt.Fprintf(&s, "resource \"R%04d\" {\n  shared    = true\n  preferred = [node.%s, node.%s]\n}\n", i, name(i), name(i+1))
	}
	s.WriteString("license \"l\" {\n  product = \"P\"\n  version = \"6.5\"\n  seats   = length(node)\n}\n\nstep \"install-license\" \"l\" {\n  license = license.l\n}\n\n")
	s.WriteString("rolling \"upgrade\" {\n  nodes = [")
	for i := range n {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString("node." + name(i))
	}
	s.WriteString("]\n\n  step \"upgrade-node\" \"upgrade\" {\n    node = each.node\n    to   = \"6.5\"\n  }\n\n  step \"await-failback\" \"failback\" {\n    node = each.node\n  }\n}\n\n")
	s.WriteString("step \"media-upgrade\" \"pools\" {\n  on = node.N0000\n}\n")
	path := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkReport is the report of a run of 1,000 simulated nodes: "write"
// is what a run adds at its end (read the journal, build the report, write
// the HTML; the plan is the run's own), "command" is the whole of `runbook
// report` (load the runbook, plan it, then the same).
func BenchmarkReport(b *testing.B) {
	const n = 1000
	dir := b.TempDir()
	path := bigRunbook(b, dir, n)
	state := filepath.Join(dir, "state")
	var out, errOut bytes.Buffer
	if code := run([]string{"run", "--auto-approve", "--state", state, path}, strings.NewReader(""), &out, &errOut); code != exitOK {
		b.Fatalf("run exited %d:\n%s", code, errOut.String())
	}
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry()}
	rb := a.loadRunbook(path, varArgs{}, true)
	rrb := runtimeRunbook(rb)
	planned := a.predictEvents(rb, rrb)

	b.Run(fmt.Sprintf("write/nodes=%d", n), func(b *testing.B) {
		for range b.N {
			recs, err := runtime.ReadJournal(local.New(state))
			if err != nil {
				b.Fatal(err)
			}
			if err := writeReportHTML(filepath.Join(dir, "report.html"), 0o600, report.Build(reportInput(rb, rrb, local.New(state), runtime.ListOf(recs), planned))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("command/nodes=%d", n), func(b *testing.B) {
		for range b.N {
			if code := run([]string{"report", "--state", state, "-o", filepath.Join(dir, "out.html"), path}, strings.NewReader(""), io.Discard, io.Discard); code != exitOK {
				b.Fatalf("report exited %d", code)
			}
		}
	})
	if st, err := os.Stat(filepath.Join(dir, "out.html")); err == nil {
		b.Logf("report of %d nodes: %d bytes", n, st.Size())
	}
}

// BenchmarkReportParts is the report a sim run of gen.Runbook(n) writes at
// its end, in its parts: "build" is report.Build from the journal read
// back, "render" the HTML page of it (to io.Discard), "put" both and the
// page written into the state directory as the run writes it.
func BenchmarkReportParts(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		dir := b.TempDir()
		path := filepath.Join(dir, "gen.hcl")
		if err := os.WriteFile(path, gen.Runbook(n), 0o644); err != nil {
			b.Fatal(err)
		}
		state := filepath.Join(dir, "state")
		var errOut bytes.Buffer
		if code := run([]string{"run", "--driver", "sim", "--auto-approve", "--state", state, path}, strings.NewReader(""), io.Discard, &errOut); code != exitOK {
			b.Fatalf("run exited %d:\n%s", code, errOut.String())
		}
		a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry()}
		rb := a.loadRunbook(path, varArgs{}, true)
		rrb := runtimeRunbook(rb)
		planned := a.predictEvents(rb, rrb)
		recs, err := runtime.ReadJournal(local.New(state))
		if err != nil {
			b.Fatal(err)
		}
		in := reportInput(rb, rrb, local.New(state), runtime.ListOf(recs), planned)
		rep := report.Build(in)
		b.Run(fmt.Sprintf("build/nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for range b.N {
				report.Build(in)
			}
		})
		b.Run(fmt.Sprintf("render/nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size countingWriter
			defer cpuPerOp(b)()
			for range b.N {
				size = 0
				if err := renderReport(&size, rep); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "bytes")
		})
		b.Run(fmt.Sprintf("put/nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for range b.N {
				if err := putReportHTML(local.New(state), report.Build(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuPerOp reports the process's CPU time (user and system, all its
// threads) per iteration from now to the call of what it returns: on a
// machine shared with other work, steadier than the wall time.
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op") }
}

// countingWriter counts what is written to it.
type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
