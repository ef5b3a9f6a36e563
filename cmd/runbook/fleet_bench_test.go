package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/runbookhq/runbook/testdata/gen"
)

// BenchmarkFleet measures `fleet run` on one runner over 1,000 simulated
// clusters of three nodes each (package gen's runbook, renamed per
// cluster), one OS process an iteration with a fresh --state, at 1 and 16
// clusters at once, with its CPU time and peak memory.
//
//	go test ./cmd/runbook -run '^$' -bench Fleet -benchtime 1x
func BenchmarkFleet(b *testing.B) {
	dir := b.TempDir()
	runbook, measure := filepath.Join(dir, "runbook"), filepath.Join(dir, "measure")
	for bin, pkg := range map[string]string{runbook: "github.com/runbookhq/runbook/cmd/runbook", measure: "./testdata/measure"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	const clusters = 1000
	text := gen.Runbook(3)
	var paths []string
	for i := range clusters {
		p := filepath.Join(dir, fmt.Sprintf("c%04d.hcl", i))
		rb := bytes.Replace(text, []byte(`runbook "bench"`), []byte(fmt.Sprintf(`runbook "c%04d"`, i)), 1)
		if err := os.WriteFile(p, rb, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("clusters=%d/concurrency=%d", clusters, n), func(b *testing.B) {
			benchProcess(b, measure, func(i int) []string {
				state := filepath.Join(dir, fmt.Sprintf("state-%d-%d", n, i))
				if err := os.RemoveAll(state); err != nil { // a fresh one each time (BenchmarkProcess)
					b.Fatal(err)
				}
				return append([]string{runbook, "fleet", "run", "--auto-approve", "--max-concurrency", fmt.Sprint(n), "--state", state}, paths...)
			})
		})
	}
}
