package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

// TestRunHolderCommand: the lock's holder record (and the journal's run
// record) name the run by its whole command line, flags included, quoted
// as a shell takes it back. The runbook's exec step copies the holder
// record while the run holds the lock.
func TestRunHolderCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my runbooks")
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/fixtures/local/local.hcl")
	if err != nil {
		t.Fatal(err)
	}
	hcl := strings.Replace(string(data), `step "exec" "note" {`,
		fmt.Sprintf("step \"exec\" \"peek\" {\n  command = [\"cp\", %q, \"holder-seen.json\"]\n}\n\nstep \"exec\" \"note\" {", filepath.Join(state, local.HolderFile)), 1)
	path := filepath.Join(dir, "local.hcl")
	if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI("run", "--auto-approve", "--state", state, "--window", "9h", path)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	want := "runbook run --auto-approve --state '" + state + "' --window 9h '" + path + "'"
	b, err := os.ReadFile(filepath.Join(dir, "holder-seen.json"))
	if err != nil {
		t.Fatalf("the exec step did not copy the holder record: %v\n%s", err, out)
	}
	var h runtime.Holder
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	if h.Command != want {
		t.Errorf("holder record's command:\n  %s\nwant\n  %s", h.Command, want)
	}
	recs, err := runtime.ReadJournal(local.New(state))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Type != runtime.RecordRun {
			continue
		}
		if r.Command != want {
			t.Errorf("journal's run record's command:\n  %s\nwant\n  %s", r.Command, want)
		}
		if r.User != h.User || r.Host != h.Host || r.User == "" || r.Host == "" {
			t.Errorf("journal's run record was run by %q on %q; want the holder's %q on %q", r.User, r.Host, h.User, h.Host)
		}
		if r.Answer != "--auto-approve" || r.Answered == nil {
			t.Errorf("journal's run record's confirmation: %q at %v; want --auto-approve", r.Answer, r.Answered)
		}
	}
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"run", "--auto-approve", "upgrade.hcl"}, "runbook run --auto-approve upgrade.hcl"},
		{[]string{"run", "--var", "target_version=6.5", "--window=4h", "/srv/runbooks/up.hcl"}, "runbook run --var 'target_version=(redacted)' --window=4h /srv/runbooks/up.hcl"},
		{[]string{"run", "--var=token=s3cr3t", "--var-file", "secrets.hcl", "up.hcl", "--", "--var"}, "runbook run '--var=token=(redacted)' --var-file secrets.hcl up.hcl -- --var"},
		{[]string{"run", "--var", "s3cr3t"}, "runbook run --var '(redacted)'"},
		{[]string{"run", "--stop-after", "rolling.upgrade[FS1].await-failback.failback", "my upgrade.hcl"},
			"runbook run --stop-after 'rolling.upgrade[FS1].await-failback.failback' 'my upgrade.hcl'"},
		{[]string{"run", "--var", "msg=it's done", "--var", ""}, `runbook run --var 'msg=(redacted)' --var '(redacted)'`},
	} {
		if got := commandLine(tc.argv); got != tc.want {
			t.Errorf("commandLine(%q) = %s; want %s", tc.argv, got, tc.want)
		}
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]*clockTime{
		"00:00": {0, 0}, "06:00": {6, 0}, "23:59": {23, 59}, "09:05": {9, 5},
		"7:3": nil, "07:3": nil, "7:03": nil, "24:00": nil, "23:60": nil, "07:30:00": nil, "+7:03": nil, " 07:03": nil, "0x7:03": nil, "": nil,
	} {
		got, err := parseClock(in)
		switch {
		case want == nil && err == nil:
			t.Errorf("parseClock(%q) = %v; want an error", in, *got)
		case want != nil && (err != nil || *got != *want):
			t.Errorf("parseClock(%q) = %v, %v; want %v", in, got, err, *want)
		}
	}
}

// TestStatusJSONContinued: a step that failed with on_failure = "continue"
// stays "failed" in status --json, marked continued, after a later run that
// does not run it again.
func TestStatusJSONContinued(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/fixtures/local/local.hcl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "local.hcl")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	for i := 0; i < 2; i++ {
		if code, out := runCLI("run", "--auto-approve", "--state", state, path); code != exitOK || !strings.Contains(out, "1 failed, 0 left") {
			t.Fatalf("run %d: exit %d; want 0 and 1 failed, 0 left\n%s", i+1, code, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ran.txt")); string(b) != "note\nflaky\nlast\n" {
		t.Errorf("the steps' commands ran:\n%s\nwant each once", b)
	}
	code, out := runCLI("status", "--json", "--state", state, path)
	if code != exitOK {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	var st struct{ Steps []stepStatus }
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, s := range st.Steps {
		want := stepStatus{Address: s.Address, Status: runtime.StatusDone}
		if s.Address == "step.exec.flaky" {
			want.Status, want.Continued, want.Error = runtime.StatusFailed, true, s.Error
		}
		if s != want {
			t.Errorf("status --json: %+v; want %+v", s, want)
		}
	}
}

// TestSummarySubSecondDowntime: a downtime under a second is not "0s".
func TestSummarySubSecondDowntime(t *testing.T) {
	var b bytes.Buffer
	start := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	v := &runHuman{w: &b}
	v.Summary(&runtime.Result{Outcome: runtime.OutcomeCompleted, Start: start, End: start.Add(3 * time.Second),
		Downtime: map[string]time.Duration{"POOL1": 400 * time.Millisecond, "POOL2": 12*time.Second + 300*time.Millisecond, "WEB": 0}})
	want := "Downtime per resource:\n  POOL1  0.4s\n  POOL2  12.3s\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("summary:\n%s\nwant it to end with\n%s", b.String(), want)
	}
}
