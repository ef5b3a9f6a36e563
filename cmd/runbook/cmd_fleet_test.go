package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fleetSimRunbook is a cluster's runbook for the simulator: two nodes
// rolled one at a time; with fail, a last local command that fails.
func fleetSimRunbook(name string, fail bool) string {
	s := fmt.Sprintf(`runbook %q {
  version = "1.0.0"
}

cluster "CL" {
  driver = "sim"
}

node "N1" {
  address = "10.0.0.1"
  version = "6.0"
}

node "N2" {
  address = "10.0.0.2"
  version = "6.0"
}

resource "DATA" {
  shared    = true
  preferred = [node.N1, node.N2]
}

rolling "upgrade" {
  nodes = [node.N1, node.N2]

  step "upgrade-node" "upgrade" {
    node = each.node
    to   = "6.5"
  }
}
`, name)
	if fail {
		s += `
step "exec" "check" {
  command = ["sh", "-c", "echo the check fails; exit 1"]
  timeout = "1m"
}
`
	}
	return s
}

// writeFleet writes one runbook a cluster into dir: "inv" is an invalid
// runbook, a name starting with "fail" one whose run fails. It returns
// their paths in order.
func writeFleet(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, n := range names {
		text := fleetSimRunbook(n, strings.HasPrefix(n, "fail"))
		if n == "inv" {
			text = "runbook \"inv\" {\n  version = \n}\n"
		}
		p := filepath.Join(dir, n+".hcl")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// fleetOutcomes reads fleet run --json's last line: each cluster's outcome
// by name, and the fleet's summary.
func fleetOutcomes(t *testing.T, out string) (map[string]string, fleetSummaryJSON) {
	t.Helper()
	var last string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"fleet-summary"`) {
			last = sc.Text()
		}
	}
	var sum fleetSummaryJSON
	if err := json.Unmarshal([]byte(last), &sum); err != nil {
		t.Fatalf("no fleet summary (%v) in:\n%s", err, out)
	}
	got := map[string]string{}
	for _, c := range sum.Each {
		got[c.Cluster] = c.Outcome
	}
	return got, sum
}

// TestFleetMaxFailures checks the rule as the README states it: when
// failures reach M, no new cluster starts (M=0 stops at the first, like
// M=1). The clusters start one at a time, in order, on the simulator; the
// invalid runbook counts as a failure before any starts.
func TestFleetMaxFailures(t *testing.T) {
	names := []string{"ok1", "inv", "fail1", "ok2", "fail2", "ok3"}
	const (
		done = fleetDone
		fail = fleetFailed
		none = fleetNotStarted
	)
	tests := []struct {
		m    int
		want []string // outcome of each of names
		exit int
	}{
		{0, []string{none, fail, none, none, none, none}, exitFailed},
		{1, []string{none, fail, none, none, none, none}, exitFailed},
		{2, []string{done, fail, fail, none, none, none}, exitFailed},
		{3, []string{done, fail, fail, done, fail, none}, exitFailed},
		{4, []string{done, fail, fail, done, fail, done}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("M=%d", tt.m), func(t *testing.T) {
			dir := t.TempDir()
			paths := writeFleet(t, dir, names...)
			args := append([]string{"fleet", "run", "--json", "--auto-approve", "--max-concurrency", "1",
				"--max-failures", fmt.Sprint(tt.m), "--state", filepath.Join(dir, "state")}, paths...)
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(""), &stdout, &stderr)
			got, sum := fleetOutcomes(t, stdout.String())
			if code != tt.exit || sum.ExitCode != tt.exit {
				t.Errorf("exit %d (summary %d); want %d\n%s", code, sum.ExitCode, tt.exit, stderr.String())
			}
			for i, n := range names {
				key := n
				if n == "inv" {
					key = paths[i]
				}
				if got[key] != tt.want[i] {
					t.Errorf("cluster %s: %q; want %q", n, got[key], tt.want[i])
				}
			}
			wantFailures := strings.Count(strings.Join(tt.want, " "), fail)
			if sum.Failures != wantFailures {
				t.Errorf("failures %d; want %d", sum.Failures, wantFailures)
			}
			if limit := max(tt.m, 1); wantFailures >= limit && !strings.Contains(sum.Stopped, "failures reached") {
				t.Errorf("the summary does not say why the fleet stopped: %q", sum.Stopped)
			}
			// Every event names its cluster.
			for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
				if !strings.Contains(line, `"cluster":`) && !strings.Contains(line, `"type":"fleet-summary"`) && !strings.Contains(line, `"type":"notice"`) {
					t.Errorf("an event without its cluster: %s", line)
				}
			}

			// fleet status reads the same from the journals.
			var sout bytes.Buffer
			scode := run(append([]string{"fleet", "status", "--json", "--state", filepath.Join(dir, "state")}, paths...), strings.NewReader(""), &sout, &sout)
			var rep fleetStatusReport
			if err := json.Unmarshal(sout.Bytes(), &rep); scode != 0 || err != nil {
				t.Fatalf("fleet status: exit %d, %v\n%s", scode, err, sout.String())
			}
			for i, c := range rep.Clusters {
				want := map[string]string{done: standDone, fail: standFailed, none: standWaiting}[tt.want[i]]
				if c.Status != want {
					t.Errorf("fleet status of %s: %q; want %q (%+v)", names[i], c.Status, want, c)
				}
			}
			if rep.Totals[standFailed] != wantFailures {
				t.Errorf("fleet status counts %d failed; want %d", rep.Totals[standFailed], wantFailures)
			}
		})
	}
}

// TestFleetHumanOutput checks that each line of a cluster is prefixed with
// its name, and that the summary lists each cluster, in the order given.
func TestFleetHumanOutput(t *testing.T) {
	dir := t.TempDir()
	paths := writeFleet(t, dir, "east", "west")
	code, out := runCLI(append([]string{"fleet", "run", "--auto-approve", "--max-concurrency", "2", "--state", filepath.Join(dir, "state")}, paths...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	lines := strings.Split(out, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Fleet: ") })
	if i < 0 {
		t.Fatalf("no fleet summary:\n%s", out)
	}
	for _, l := range lines[:i] {
		if l != "" && !strings.HasPrefix(l, "east | ") && !strings.HasPrefix(l, "west | ") {
			t.Errorf("a line without its cluster: %q", l)
		}
	}
	for _, want := range []string{"east | ", "runbook east: 2 steps", "west | ", "Run complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Join(lines[i:i+3], "\n"); got != "Fleet: 2 clusters: 2 done, 0 failed, 0 stopped, 0 not started.\n  east  done\n  west  done" {
		t.Errorf("summary:\n%s", got)
	}
	// A second run finds both done: nothing to do, and exit 0.
	code, out = runCLI(append([]string{"fleet", "run", "--auto-approve", "--state", filepath.Join(dir, "state")}, paths...)...)
	if code != exitOK || !strings.Contains(out, "resuming: 2 done or skipped earlier") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

// TestFleetUsage checks the flags' errors: exit 2, nothing run.
func TestFleetUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "run"}, "needs the PATH of each cluster's runbook"},
		{[]string{"fleet", "run", "--max-concurrency", "0", "x.hcl"}, "invalid --max-concurrency 0"},
		{[]string{"fleet", "run", "--max-failures", "-1", "x.hcl"}, "invalid --max-failures -1"},
		{[]string{"fleet", "run", "--until", "06:00", "--window", "1h", "x.hcl"}, "cannot be used together"},
		{[]string{"fleet", "status"}, "needs the PATH of each cluster's runbook"},
	} {
		code, out := runCLI(tt.args...)
		if code != exitUsage || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tt.args, code, out, tt.want)
		}
	}
}

// TestFleetStateEnv checks that $RUNBOOK_STATE is the fleet's state when
// --state is not given: each cluster's under it by name, never one state
// for all.
func TestFleetStateEnv(t *testing.T) {
	dir := t.TempDir()
	paths := writeFleet(t, dir, "east", "west")
	state := filepath.Join(dir, "shared")
	t.Setenv("RUNBOOK_STATE", state+"/")
	if code, out := runCLI(append([]string{"fleet", "run", "--auto-approve", "--max-concurrency", "2"}, paths...)...); code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, n := range []string{"east", "west"} {
		if _, err := os.Stat(filepath.Join(state, n, "journal.jsonl")); err != nil {
			t.Errorf("cluster %s's journal: %v", n, err)
		}
	}
	code, out := runCLI(append([]string{"fleet", "status"}, paths...)...)
	if code != exitOK || !strings.Contains(out, "2 clusters: 2 done") {
		t.Errorf("fleet status with RUNBOOK_STATE: exit %d\n%s", code, out)
	}
}

func TestWindowLeft(t *testing.T) {
	for _, tc := range []struct {
		window, elapsed, want time.Duration
	}{
		{0, time.Hour, 0},
		{4 * time.Hour, 0, 4 * time.Hour},
		{4 * time.Hour, 90 * time.Minute, 150 * time.Minute},
		{4 * time.Hour, 4 * time.Hour, time.Nanosecond},
		{4 * time.Hour, 5 * time.Hour, time.Nanosecond},
	} {
		if got := windowLeft(tc.window, tc.elapsed); got != tc.want {
			t.Errorf("windowLeft(%v, %v) = %v; want %v", tc.window, tc.elapsed, got, tc.want)
		}
	}
}
