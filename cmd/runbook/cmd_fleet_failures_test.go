package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// TestFleetFailuresAcrossRunners checks --max-failures across two runners
// sharing --state DIR: runner A's clusters fail; runner B, started while
// the fleet's window is still open (a third runner live), counts them and
// starts no cluster once they reach M. A run started when no runner is live
// is a new window: it starts from no failure.
func TestFleetFailuresAcrossRunners(t *testing.T) {
	testFleetFailuresAcross(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "state") })
}

// testFleetFailuresAcross runs the table of TestFleetFailuresAcrossRunners
// on the state newState returns.
func testFleetFailuresAcross(t *testing.T, newState func(t *testing.T) string) {
	const (
		done = fleetDone
		fail = fleetFailed
		none = fleetNotStarted
	)
	tests := []struct {
		m     int
		a, b  []string // runner A's clusters' outcomes (fail1, fail2), B's (fail1, ok1, ok2)
		bExit int
	}{
		{0, []string{fail, none}, []string{none, none, none}, exitStopped},
		{1, []string{fail, none}, []string{none, none, none}, exitStopped},
		{2, []string{fail, fail}, []string{none, none, none}, exitStopped},
		// Below M, B runs its own clusters, and counts fail1 (failed on
		// A) without running it again.
		{3, []string{fail, fail}, []string{fail, done, done}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("M=%d", tt.m), func(t *testing.T) {
			dir := t.TempDir()
			paths := writeFleet(t, dir, "fail1", "fail2", "ok1", "ok2")
			state := newState(t)
			// A third runner, live from before A to after B: the window.
			live := joinFleetFailures(t, state)
			fleet := func(paths ...string) (int, map[string]fleetClusterResult, fleetSummaryJSON) {
				t.Helper()
				code, out := runCLI(append([]string{"fleet", "run", "--json", "--auto-approve", "--max-concurrency", "1",
					"--max-failures", fmt.Sprint(tt.m), "--state", state}, paths...)...)
				_, sum := fleetOutcomes(t, out)
				each := map[string]fleetClusterResult{}
				for _, c := range sum.Each {
					each[c.Cluster] = c
				}
				return code, each, sum
			}
			check := func(runner string, names []string, each map[string]fleetClusterResult, want []string) {
				t.Helper()
				for i, n := range names {
					if each[n].Outcome != want[i] {
						t.Errorf("runner %s, cluster %s: %q (%s); want %q", runner, n, each[n].Outcome, each[n].Reason, want[i])
					}
				}
			}
			_, each, _ := fleet(paths[0], paths[1])
			check("A", []string{"fail1", "fail2"}, each, tt.a)

			code, each, sum := fleet(paths[0], paths[2], paths[3])
			check("B", []string{"fail1", "ok1", "ok2"}, each, tt.b)
			if code != tt.bExit {
				t.Errorf("runner B: exit %d; want %d", code, tt.bExit)
			}
			if tt.b[0] == fail && each["fail1"].Reason != "failed on another runner" {
				t.Errorf("runner B ran fail1 again: %+v", each["fail1"])
			}
			if limit := max(tt.m, 1); tt.b[1] == none && !strings.Contains(sum.Stopped, "failures reached") {
				t.Errorf("runner B does not say why it started nothing (limit %d): %q", limit, sum.Stopped)
			}

			// The window closes with its last runner: the next run is a new
			// one, and runs what B did not start.
			if err := live.Close(); err != nil {
				t.Fatal(err)
			}
			code, each, _ = fleet(paths[2], paths[3])
			check("C", []string{"ok1", "ok2"}, each, []string{done, done})
			if code != exitOK {
				t.Errorf("runner C, in a new window: exit %d; want 0", code)
			}
		})
	}
}

// joinFleetFailures joins the fleet's failures at state as a runner would.
func joinFleetFailures(t *testing.T, state string) runtime.Failures {
	t.Helper()
	if !isStoreURL(state) {
		f, err := openFileFailures(state)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	s, err := storebuiltin.Stores().Open(state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(s) })
	f, err := s.(runtime.FailureStore).Failures(2*time.Second, runtime.CurrentHolder("test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFleetWindow checks --window fleet-wide on the simulator's virtual
// clock: a window that leaves each cluster room for its first node only
// stops each cleanly before the step that would not fit (exit 3, nothing
// failed), and the same command resumes them: every node upgraded once.
func TestFleetWindow(t *testing.T) {
	dir := t.TempDir()
	paths := writeFleet(t, dir, "east", "west", "north")
	// An upgrade takes about 34m on the simulator, within its 45m
	// timeout: a 1h window fits the first, not the second.
	args := append([]string{"fleet", "run", "--json", "--auto-approve", "--max-concurrency", "2",
		"--window", "1h", "--state", filepath.Join(dir, "state")}, paths...)
	started := map[string]int{}
	for i, want := range []struct {
		code    int
		outcome string
	}{{exitStopped, fleetStopped}, {exitOK, fleetDone}} {
		code, out := runCLI(args...)
		if code != want.code {
			t.Fatalf("run %d: exit %d; want %d\n%s", i+1, code, want.code, out)
		}
		got, sum := fleetOutcomes(t, out)
		for _, n := range []string{"east", "west", "north"} {
			if got[n] != want.outcome {
				t.Errorf("run %d: %s %q; want %q", i+1, n, got[n], want.outcome)
			}
		}
		if sum.Failures != 0 {
			t.Errorf("run %d: %d failures; want none", i+1, sum.Failures)
		}
		for _, line := range strings.Split(out, "\n") {
			var ev struct {
				Type, Cluster, Step, Status string
			}
			if json.Unmarshal([]byte(line), &ev) == nil && strings.Contains(ev.Step, "upgrade-node") && ev.Status == "started" {
				started[ev.Cluster+" "+ev.Step]++
			}
		}
		for _, c := range sum.Each {
			if i == 0 && !strings.Contains(c.Reason, "(timeout 45m) would run past it, so it was not started") {
				t.Errorf("%s stopped: %q; want the window's reason", c.Cluster, c.Reason)
			}
		}
	}
	for _, n := range []string{"east", "west", "north"} {
		for _, node := range []string{"N1", "N2"} {
			if k := fmt.Sprintf("%s rolling.upgrade[%s].upgrade-node.upgrade", n, node); started[k] != 1 {
				t.Errorf("%s started %d times; want once", k, started[k])
			}
		}
	}
}
