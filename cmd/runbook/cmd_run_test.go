package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/runtime"
)

// copyRunbook copies an example runbook into a fresh directory.
func copyRunbook(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("../../runbooks", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &out)
	return code, out.String()
}

// TestRunRefusedWhileLocked holds the state's lock as another run would, and
// checks that a run is refused at once, naming the holder and since when,
// and that unlock refuses too while the holder lives.
func TestRunRefusedWhileLocked(t *testing.T) {
	path := copyRunbook(t, "two-node.hcl")
	dir := runtime.DefaultStateDir(filepath.Dir(path), "two-node")
	st, err := runtime.OpenState(dir, runtime.CurrentHolder("runbook run two-node.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := runCLI("run", "--auto-approve", path)
	if code != exitFailed {
		t.Errorf("run while locked: exit %d; want %d\n%s", code, exitFailed, out)
	}
	want := regexp.MustCompile(`locked by \S+@\S+ \(PID \d+, "runbook run two-node.hcl"\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	if !want.MatchString(out) || !strings.Contains(out, "runbook unlock") {
		t.Errorf("run while locked printed:\n%s\nwant a match for %s and a hint at runbook unlock", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, runtime.JournalFile)); err == nil {
		if recs, _ := runtime.ReadJournal(dir); len(recs) != 0 {
			t.Errorf("the refused run wrote %d journal records", len(recs))
		}
	}
	code, out = runCLI("unlock", path)
	if code != exitFailed || !strings.Contains(out, "still running on this host") {
		t.Errorf("unlock while held: exit %d\n%s", code, out)
	}
	st.Close()

	code, out = runCLI("run", "--auto-approve", path)
	if code != exitOK {
		t.Errorf("run after the lock was released: exit %d\n%s", code, out)
	}
}

// TestUnlockStale leaves a holder record behind as a crashed run does.
func TestUnlockStale(t *testing.T) {
	path := copyRunbook(t, "two-node.hcl")
	dir := runtime.DefaultStateDir(filepath.Dir(path), "two-node")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, runtime.LockFile), nil, 0o644)
	os.WriteFile(filepath.Join(dir, runtime.HolderFile), []byte(`{"user":"op","host":"elsewhere","pid":999999,"since":"2024-05-01T22:00:00Z","command":"runbook run"}`), 0o644)
	code, out := runCLI("unlock", path)
	if code != exitOK || !strings.Contains(out, "Cleared the stale lock") || !strings.Contains(out, "op@elsewhere (PID 999999") {
		t.Errorf("unlock: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, runtime.HolderFile)); !os.IsNotExist(err) {
		t.Errorf("holder record still there: %v", err)
	}
}
