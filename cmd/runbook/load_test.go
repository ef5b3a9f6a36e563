package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadBounded: a runbook whose expressions ask for a billion values
// gets a diagnostic and exit 1 within the load timeout, not a hang or an
// out-of-memory crash. It runs the built binary: the abandoned evaluation
// must not outlive the test in this process.
func TestLoadBounded(t *testing.T) {
	runbook, _ := buildExecBins(t)
	path := filepath.Join(t.TempDir(), "huge.hcl")
	src := `runbook "r" {}
locals {
  x = length([for a in range(1024): [for b in range(1024): [for c in range(1024): 1]]])
}
cluster "c" {}
node "A" {
  address = "a"
  version = "1.0"
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runbook, "validate", path)
	cmd.Env = append(os.Environ(), "RUNBOOK_LOAD_TIMEOUT=1s")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("validate took %s; want it stopped after about 1s", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed || !strings.Contains(string(out), "Runbook too expensive to evaluate") {
		t.Fatalf("exit %d (%v); want %d with a diagnostic:\n%s", code, err, exitFailed, out)
	}
}
