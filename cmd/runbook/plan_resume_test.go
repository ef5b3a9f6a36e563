package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResumedPlanJSON: after a run left a step in doubt, plan --json counts
// from that step: where the run resumes, each step's journal status, how
// the step in doubt is settled and what it waits for, and the time and
// downtime still to come.
func TestResumedPlanJSON(t *testing.T) {
	path := copyRunbook(t, "netware65-rolling-upgrade.hcl")
	state := filepath.Join(filepath.Dir(path), "state")
	if code, out := runCLI("run", "--auto-approve", "--state", state, "--fault", "upgrade-in-doubt:FS2", path); code != exitFailed {
		t.Fatalf("run: exit %d; want %d\n%s", code, exitFailed, out)
	}
	code, whole := runCLI("plan", "--json", "--state", filepath.Join(filepath.Dir(path), "none"), path)
	if code != exitOK {
		t.Fatalf("plan of a fresh state: exit %d\n%s", code, whole)
	}
	code, out := runCLI("plan", "--json", "--state", state, path)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	type plan struct {
		PredictedSeconds float64 `json:"predicted_seconds"`
		Resume           *struct {
			State, From string
			Left        int
		}
		Steps []struct {
			Address  string
			Journal  string
			Earlier  string
			WaitsFor []string `json:"waits_for"`
		}
		DowntimeSeconds map[string]float64 `json:"downtime_seconds"`
	}
	var p, w plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(whole), &w); err != nil {
		t.Fatalf("%v\n%s", err, whole)
	}
	if w.Resume != nil || p.Resume == nil {
		t.Fatalf("resume: fresh %+v, resumed %+v; want none, then set", w.Resume, p.Resume)
	}
	if p.Resume.State != state || p.Resume.From != "rolling.upgrade[FS2].upgrade-node.upgrade" || p.Resume.Left != 5 {
		t.Errorf("resume %+v; want from FS2's upgrade, 5 left, in %s", *p.Resume, state)
	}
	doubt := p.Steps[3]
	if doubt.Journal != "in-doubt" || !cmp.Equal(doubt.WaitsFor, []string{"upgrade FS2"}) || !strings.Contains(doubt.Earlier, "settled first from the cluster's status") {
		t.Errorf("step in doubt %+v", doubt)
	}
	if p.Steps[0].Journal != "done" || p.Steps[0].Earlier != "" || p.Steps[7].Journal != "" {
		t.Errorf("steps' journal status: first %+v, last %+v", p.Steps[0], p.Steps[7])
	}
	// 35m20s of the plan are behind; FS1's 10s of POOL1_SERVER downtime too.
	if got, want := p.PredictedSeconds, w.PredictedSeconds-35*60-20; got != want {
		t.Errorf("predicted %vs; want %vs", got, want)
	}
	if got, want := p.DowntimeSeconds["POOL1_SERVER"], w.DowntimeSeconds["POOL1_SERVER"]-10; got != want {
		t.Errorf("POOL1_SERVER's downtime %vs; want %vs", got, want)
	}
}

// TestStopAfterDone: --stop-after naming a step the journal has done is a
// usage error (exit 2), and nothing runs.
func TestStopAfterDone(t *testing.T) {
	path := copyRunbook(t, "netware65-rolling-upgrade.hcl")
	first := "rolling.upgrade[FS1].upgrade-node.upgrade"
	if code, out := runCLI("run", "--auto-approve", "--stop-after", first, path); code != exitStopped {
		t.Fatalf("run: exit %d; want %d\n%s", code, exitStopped, out)
	}
	code, out := runCLI("run", "--auto-approve", "--stop-after", first, path)
	if code != exitUsage || !strings.Contains(out, "that step is already done") || strings.Contains(out, "started") {
		t.Errorf("exit %d; want %d, with the reason and nothing run:\n%s", code, exitUsage, out)
	}
}
