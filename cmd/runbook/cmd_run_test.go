package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
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
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run two-node.hcl"), runtime.LockOptions{})
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
	if _, err := os.Stat(filepath.Join(dir, local.JournalFile)); err == nil {
		if recs, _ := runtime.ReadJournal(local.New(dir)); len(recs) != 0 {
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
	os.WriteFile(filepath.Join(dir, local.LockFile), nil, 0o644)
	os.WriteFile(filepath.Join(dir, local.HolderFile), []byte(`{"user":"op","host":"elsewhere","pid":999999,"since":"2024-05-01T22:00:00Z","command":"runbook run"}`), 0o644)
	code, out := runCLI("unlock", path)
	if code != exitOK || !strings.Contains(out, "Cleared the stale lock") || !strings.Contains(out, "op@elsewhere (PID 999999") {
		t.Errorf("unlock: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, local.HolderFile)); !os.IsNotExist(err) {
		t.Errorf("holder record still there: %v", err)
	}
}

// TestRunJSONNotStarted: a run that cannot start still ends its --json
// output with a summary, so that a program reading the events gets one;
// the reason goes to stderr as without --json. An invalid runbook's
// diagnostics come first, as one line of validate --json's shape.
func TestRunJSONNotStarted(t *testing.T) {
	path := copyRunbook(t, "two-node.hcl")
	dir := runtime.DefaultStateDir(filepath.Dir(path), "two-node")
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("runbook run two-node.hcl"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	invalid := filepath.Join(t.TempDir(), "invalid.hcl")
	if err := os.WriteFile(invalid, []byte("runbook \"x\" {\n  nonsense = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, message, stderr string
		// diagnostic is the summary of the diagnostic on the first line,
		// "" when there is no such line.
		diagnostic string
	}{
		{"locked", path, "locked by", "Another run is in progress", ""},
		{"invalid", invalid, "the runbook is invalid", "Unsupported argument", "Unsupported argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"run", "--json", "--auto-approve", tc.path}, strings.NewReader(""), &stdout, &stderr)
			if code != exitFailed {
				t.Errorf("exit %d, want %d", code, exitFailed)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if tc.diagnostic != "" {
				var d struct {
					Type        string
					Valid       bool
					ErrorCount  int `json:"error_count"`
					Diagnostics []jsonDiagnostic
				}
				if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
					t.Fatalf("first line %q: %v", lines[0], err)
				}
				if d.Type != "diagnostics" || d.Valid || d.ErrorCount != 2 || len(d.Diagnostics) != 2 || d.Diagnostics[0].Summary != tc.diagnostic || d.Diagnostics[0].Range == nil {
					t.Errorf("first line %s, want the diagnostics: two errors, the first %q, with its range", lines[0], tc.diagnostic)
				}
				lines = lines[1:]
			}
			var sum runSummaryJSON
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &sum) != nil {
				t.Fatalf("stdout:\n%s\nwant one summary line", stdout.String())
			}
			if sum.Type != "summary" || sum.OK || sum.Outcome != runtime.OutcomeError || sum.ExitCode != exitFailed || !strings.Contains(sum.Message, tc.message) {
				t.Errorf("summary %+v, want not ok, outcome error, exit 1, a message with %q", sum, tc.message)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr:\n%s\nwant %q", stderr.String(), tc.stderr)
			}
		})
	}
}

// TestNotStartedDrift: the pacemaker driver's refusal (declared failback
// against stickiness) is a drift event per difference, then a summary with
// outcome drift.
func TestNotStartedDrift(t *testing.T) {
	var stdout bytes.Buffer
	a := &app{stdout: &stdout}
	code := a.notStarted(&runArgs{View: viewJSON}, "the cluster differs from what the runbook declares in 2 place(s); nothing was done", []string{"resource rA: one", "resource rB: two"})
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var e struct{ Type, Message, Outcome string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, e.Type+" "+e.Message+e.Outcome)
	}
	want := []string{"drift resource rA: one", "drift resource rB: two", "summary the cluster differs from what the runbook declares in 2 place(s); nothing was donedrift"}
	if code != exitFailed || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exit %d, events:\n%s\nwant:\n%s", code, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	stdout.Reset()
	if a.notStarted(&runArgs{}, "x", nil); stdout.Len() != 0 {
		t.Errorf("without --json, stdout got %q", stdout.String())
	}
}
