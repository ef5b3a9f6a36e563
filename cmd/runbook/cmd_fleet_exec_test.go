package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// fleetExecRunbook is a cluster's runbook for the exec driver against its
// own stand-in cluster manager, whose state is in standinDir.
func fleetExecRunbook(name, standinDir string) string {
	return fmt.Sprintf(`runbook %q {
  version = "1.0.0"
}

variable "standin" {
  type = string
}

variable "dir" {
  type    = string
  default = %q
}

cluster "CL1" {
  driver = "exec"

  exec {
    poll    = "50ms"
    status  = [var.standin, "-dir", var.dir, "status"]
    leave   = [var.standin, "-dir", var.dir, "leave", node.name]
    upgrade = [var.standin, "-dir", var.dir, "upgrade", node.name, to]
    migrate = [var.standin, "-dir", var.dir, "migrate", resource.name, node.name]
    offline = [var.standin, "-dir", var.dir, "offline", resource.name]
    online  = [var.standin, "-dir", var.dir, "online", resource.name, node.name]
  }
}

node "FS1" {
  address = "127.0.0.1"
  version = "6.0"
}

node "FS2" {
  address = "127.0.0.1"
  version = "6.0"
}

resource "POOL1_SERVER" {
  shared    = true
  preferred = [node.FS1, node.FS2]
  failback  = "auto"
}

rolling "upgrade" {
  nodes = [node.FS1, node.FS2]

  step "upgrade-node" "upgrade" {
    node    = each.node
    to      = "6.5"
    timeout = "20s"
  }
}
`, name, standinDir)
}

// fleetExecCluster is one stand-in cluster of a fleet test.
type fleetExecCluster struct {
	name, hcl, standinDir string
}

// newFleetExec makes n clusters, each a stand-in whose upgraded nodes
// reboot for rebootDelay, and its runbook; faults[i] are injected into
// cluster i's stand-in. It returns the clusters and the environment of a
// runbook process.
func newFleetExec(t *testing.T, n int, rebootDelay time.Duration, faults map[int]string) ([]fleetExecCluster, []string) {
	t.Helper()
	_, standin := buildExecBins(t)
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RUNBOOK_") || strings.HasPrefix(name, "STANDIN_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "NO_COLOR=1", "RUNBOOK_VAR_standin="+standin)
	desc := standincheck.Description{
		Nodes:       []standincheck.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}},
		Resources:   []standincheck.Resource{{Name: "POOL1_SERVER", Preferred: []string{"FS1", "FS2"}, Failback: "auto", Shared: true}},
		RebootDelay: rebootDelay.String(),
	}
	descJSON, err := json.Marshal(desc)
	if err != nil {
		t.Fatal(err)
	}
	descFile := filepath.Join(dir, "cluster.json")
	if err := os.WriteFile(descFile, descJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	var out []fleetExecCluster
	for i := range n {
		c := fleetExecCluster{name: fmt.Sprintf("c%02d", i)}
		cdir := filepath.Join(dir, c.name)
		c.standinDir, c.hcl = filepath.Join(cdir, "standin"), filepath.Join(cdir, "upgrade.hcl")
		if err := os.MkdirAll(c.standinDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.hcl, []byte(fleetExecRunbook(c.name, c.standinDir)), 0o644); err != nil {
			t.Fatal(err)
		}
		standinArgs := [][]string{{"init", descFile}}
		if f, ok := faults[i]; ok {
			standinArgs = append(standinArgs, []string{"fault", "add", f})
		}
		for _, a := range standinArgs {
			if out, err := exec.Command(standin, append([]string{"-dir", c.standinDir}, a...)...).CombinedOutput(); err != nil {
				t.Fatalf("standin %v: %v\n%s", a, err, out)
			}
		}
		out = append(out, c)
	}
	return out, env
}

// rollingSpan is when a cluster's stand-in saw its commands, first to
// last: by the stand-in's own clock, the least of the time its cluster was
// rolling (claimed by a runner, to released).
type rollingSpan struct {
	name       string
	start, end time.Time
}

func rollingSpans(t *testing.T, cs []fleetExecCluster) []rollingSpan {
	t.Helper()
	var out []rollingSpan
	for _, c := range cs {
		recs, err := standincheck.ReadLog(c.standinDir)
		if err != nil {
			t.Fatal(err)
		}
		s := rollingSpan{name: c.name}
		for _, r := range recs {
			if r.Kind != standincheck.KindCommand || r.Args[0] == "fault" {
				continue // the test's own set-up
			}
			if s.start.IsZero() {
				s.start = r.Time
			}
			s.end = r.Time
		}
		if !s.start.IsZero() {
			out = append(out, s)
		}
	}
	return out
}

// maxOverlap is the most spans that hold at one instant.
func maxOverlap(spans []rollingSpan) int {
	type edge struct {
		t     time.Time
		delta int
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.start, +1}, edge{s.end, -1})
	}
	// At equal times a start counts before an end: touching spans overlap.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t.Equal(edges[j].t) {
			return edges[i].delta > edges[j].delta
		}
		return edges[i].t.Before(edges[j].t)
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// upgradesOf counts the upgrades a cluster's stand-in ran, per node.
func upgradesOf(t *testing.T, c fleetExecCluster) map[string]int {
	t.Helper()
	recs, err := standincheck.ReadLog(c.standinDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range recs {
		if r.Kind == standincheck.KindCommand && r.Exit == 0 && len(r.Args) > 1 && r.Args[0] == "upgrade" {
			out[r.Args[1]]++
		}
	}
	return out
}

// TestFleetExecCap rolls six stand-in clusters, two at a time, one of
// which fails and one whose runbook is invalid: the stand-ins' own logs
// show at most two clusters rolling at any instant, every other cluster
// upgraded with each node once, and both failures counted.
func TestFleetExecCap(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	runbookBin, _ := buildExecBins(t)
	cs, env := newFleetExec(t, 6, 150*time.Millisecond, map[int]string{2: "fail:upgrade:FS2"})
	invalid := filepath.Join(t.TempDir(), "invalid.hcl")
	if err := os.WriteFile(invalid, []byte("runbook \"broken\" {\n  version = \n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	args := []string{"fleet", "run", "--json", "--auto-approve", "--max-concurrency", "2", "--max-failures", "3", "--state", state}
	for i, c := range cs {
		if i == 3 {
			args = append(args, invalid)
		}
		args = append(args, c.hcl)
	}
	cmd := exec.Command(runbookBin, args...)
	cmd.Env = env
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(4 * execRunLimit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("fleet run did not end; output:\n%s\n%s", stdout.String(), stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed {
		t.Errorf("exit %d; want %d", code, exitFailed)
	}
	got, sum := fleetOutcomes(t, stdout.String())
	for i, c := range cs {
		want := fleetDone
		if i == 2 {
			want = fleetFailed
		}
		if got[c.name] != want {
			t.Errorf("%s: %q; want %q\n%s", c.name, got[c.name], want, stderr.String())
		}
		ups := upgradesOf(t, c)
		switch {
		case i == 2 && (ups["FS1"] != 1 || ups["FS2"] != 0):
			t.Errorf("%s (its FS2 fails to upgrade): upgrades %v; want FS1 once", c.name, ups)
		case i != 2 && (ups["FS1"] != 1 || ups["FS2"] != 1):
			t.Errorf("%s: upgrades %v; want each node once", c.name, ups)
		}
	}
	if got[invalid] != fleetFailed || sum.Failures != 2 || sum.Clusters.Failed != 2 || sum.Clusters.Done != 5 {
		t.Errorf("summary %+v; want 5 done, 2 failed (the invalid runbook and c02)", sum)
	}
	if n := maxOverlap(rollingSpans(t, cs)); n > 2 {
		t.Errorf("the stand-ins saw %d clusters rolling at once; want at most 2 (--max-concurrency 2)", n)
	}
}

// startFleet starts `runbook fleet run --auto-approve ARGS...` in its own
// process group, as a terminal's foreground job.
func startFleet(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	runbookBin, _ := buildExecBins(t)
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(runbookBin, append([]string{"fleet", "run", "--auto-approve"}, args...)...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// waitStandinOp waits until c's stand-in ran op ("upgrade FS1 6.5").
func waitStandinOp(t *testing.T, c fleetExecCluster, op string) {
	t.Helper()
	waitUntil(t, c.name+"'s stand-in to run "+op, func() bool {
		recs, err := standincheck.ReadLog(c.standinDir)
		return err == nil && slices.Contains(standincheck.Operations(recs), op)
	})
}

// TestFleetExecStops checks that the clusters rolling stop after their
// step in flight, and that none starts after, both at a Ctrl-C and when
// failures reach --max-failures; and that the same command resumes them.
func TestFleetExecStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const reboot = 1500 * time.Millisecond
	check := func(t *testing.T, cs []fleetExecCluster, out string, want map[string]string, upgraded map[string][]string) {
		t.Helper()
		got, _ := fleetOutcomes(t, out)
		for _, c := range cs {
			if got[c.name] != want[c.name] {
				t.Errorf("%s: %q; want %q", c.name, got[c.name], want[c.name])
			}
			ups := upgradesOf(t, c)
			for _, n := range []string{"FS1", "FS2"} {
				w := 0
				if slices.Contains(upgraded[c.name], n) {
					w = 1
				}
				if ups[n] != w {
					t.Errorf("%s: %s upgraded %d times; want %d", c.name, n, ups[n], w)
				}
			}
		}
	}
	t.Run("ctrl-c", func(t *testing.T) {
		cs, env := newFleetExec(t, 4, reboot, nil)
		args := []string{"--json", "--max-concurrency", "2", "--state", filepath.Join(t.TempDir(), "state")}
		for _, c := range cs {
			args = append(args, c.hcl)
		}
		p := startFleet(t, env, args...)
		waitStandinOp(t, cs[0], "upgrade FS1 6.5")
		waitStandinOp(t, cs[1], "upgrade FS1 6.5")
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		code, out := p.wait(t)
		if code != exitStopped {
			t.Errorf("exit %d; want %d\n%s", code, exitStopped, out)
		}
		// The step in flight (FS1's upgrade) ends, nothing after it starts.
		check(t, cs, out, map[string]string{"c00": fleetStopped, "c01": fleetStopped, "c02": fleetNotStarted, "c03": fleetNotStarted},
			map[string][]string{"c00": {"FS1"}, "c01": {"FS1"}})
		wantContains(t, out, "stopped as asked (the fleet stopped: interrupted)")
		for _, c := range cs[2:] {
			if spans := rollingSpans(t, []fleetExecCluster{c}); len(spans) > 0 {
				t.Errorf("%s's stand-in received commands after the Ctrl-C", c.name)
			}
		}
		// The same command resumes every cluster: each node upgraded once.
		code, out = startFleet(t, env, args...).wait(t)
		if code != exitOK {
			t.Errorf("resumed: exit %d\n%s", code, out)
		}
		all := map[string][]string{}
		want := map[string]string{}
		for _, c := range cs {
			all[c.name], want[c.name] = []string{"FS1", "FS2"}, fleetDone
		}
		check(t, cs, out, want, all)
	})
	t.Run("max-failures", func(t *testing.T) {
		// c00's FS1 fails to upgrade while c01 upgrades its FS1 (a reboot
		// of 1.5s): c01 finishes that step and stops; c02 never starts.
		cs, env := newFleetExec(t, 3, reboot, map[int]string{0: "fail:upgrade:FS1"})
		args := []string{"--json", "--max-concurrency", "2", "--max-failures", "0", "--state", filepath.Join(t.TempDir(), "state")}
		for _, c := range cs {
			args = append(args, c.hcl)
		}
		code, out := startFleet(t, env, args...).wait(t)
		if code != exitFailed {
			t.Errorf("exit %d; want %d\n%s", code, exitFailed, out)
		}
		check(t, cs, out, map[string]string{"c00": fleetFailed, "c01": fleetStopped, "c02": fleetNotStarted},
			map[string][]string{"c01": {"FS1"}})
		wantContains(t, out, "stopped as asked (the fleet stopped: failures reached --max-failures 0)")
	})
}

// clusterPaths are the clusters' runbooks.
func clusterPaths(cs []fleetExecCluster) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.hcl)
	}
	return out
}

// runnerSpans are, for each cluster, when its stand-in saw each runner's
// commands, first to last (by the stand-in's clock, and the runner as the
// parent process of the command): the least of the time that runner held
// the cluster rolling.
func runnerSpans(t *testing.T, cs []fleetExecCluster) (spans []rollingSpan, runners map[string][]int) {
	t.Helper()
	runners = map[string][]int{}
	for _, c := range cs {
		recs, err := standincheck.ReadLog(c.standinDir)
		if err != nil {
			t.Fatal(err)
		}
		by := map[int]*rollingSpan{}
		for _, r := range recs {
			if r.Kind != standincheck.KindCommand || r.Args[0] == "fault" {
				continue
			}
			s, ok := by[r.Runner]
			if !ok {
				s = &rollingSpan{name: fmt.Sprintf("%s by %d", c.name, r.Runner), start: r.Time}
				by[r.Runner] = s
				runners[c.name] = append(runners[c.name], r.Runner)
			}
			s.end = r.Time
		}
		for _, s := range by {
			spans = append(spans, *s)
		}
	}
	return spans, runners
}

// TestFleetRunners starts three fleet runs with the same arguments on one
// machine, sharing --state, over twelve stand-in clusters (one invalid
// runbook, one cluster whose node fails to upgrade) at most four at once,
// and SIGKILLs one of them while it upgrades a node: the two left take its
// clusters over and finish them from their journals; every valid cluster
// but the failing one ends upgraded, each node once; the stand-ins never
// saw more than four clusters rolling at once.
func TestFleetRunners(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	testFleetRunners(t, 12, filepath.Join(t.TempDir(), "state"))
}

// testFleetRunners is TestFleetRunners over n clusters with the state in
// state and the flags given.
func testFleetRunners(t *testing.T, n int, state string, flags ...string) {
	const fails = 5
	cs, env := newFleetExec(t, n, 300*time.Millisecond, map[int]string{fails: "fail:upgrade:FS2"})
	invalid := filepath.Join(t.TempDir(), "invalid.hcl")
	if err := os.WriteFile(invalid, []byte("runbook \"broken\" {\n  version = \n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--json", "--max-concurrency", "4", "--max-failures", "3", "--settle-timeout", "5s", "--state", state}, flags...)
	args = append(args, invalid)
	for _, c := range cs {
		args = append(args, c.hcl)
	}
	var ps []*proc
	for range 3 {
		ps = append(ps, startFleet(t, env, args...))
	}
	// Kill the first runner seen upgrading a node, as soon as the stand-in
	// of a cluster it holds has run the upgrade.
	pids := map[int]*proc{}
	for _, p := range ps {
		pids[p.cmd.Process.Pid] = p
	}
	victim := 0
	var held string
	midCluster := func() bool {
		for _, c := range cs {
			recs, err := standincheck.ReadLog(c.standinDir)
			if err != nil {
				continue
			}
			// A cluster whose first node a runner upgraded, and not yet
			// its second: the runner is in the middle of it.
			by := 0
			for _, r := range recs {
				if r.Kind == standincheck.KindCommand && r.Args[0] == "upgrade" && r.Exit == 0 {
					if r.Args[1] == "FS2" {
						by = 0
						break
					}
					by = r.Runner
				}
			}
			if pids[by] != nil {
				victim, held = by, c.name
				return true
			}
		}
		return false
	}
	waitUntil(t, "a runner to upgrade a node", midCluster)
	// Any machine reads the fleet's status from the store: the cluster
	// rolling on that runner.
	runbookBin, _ := buildExecBins(t)
	status := exec.Command(runbookBin, append([]string{"fleet", "status", "--json", "--state", state}, clusterPaths(cs)...)...)
	status.Env = env
	if out, err := status.Output(); err != nil {
		t.Errorf("fleet status: %v\n%s", err, out)
	} else {
		var rep fleetStatusReport
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatal(err)
		}
		// The runners hold their clusters from the claim to the release:
		// each cluster rolling is on one of them, and the status says which.
		for _, c := range rep.Clusters {
			if c.Status != standRolling {
				continue
			}
			runner := -1
			if i := strings.LastIndex(c.Runner, "PID "); i >= 0 {
				fmt.Sscanf(c.Runner[i:], "PID %d", &runner)
			}
			if pids[runner] == nil {
				t.Errorf("fleet status: %s rolling on %q, not one of the runners", c.Cluster, c.Runner)
			}
		}
		if rep.Totals[standRolling] < 1 || rep.Totals[standRolling] > 4 {
			t.Errorf("fleet status: %d clusters rolling while the runners run; want 1 to 4", rep.Totals[standRolling])
		}
	}
	// The victim is chosen again after the status (which takes its time):
	// the runner in the middle of a cluster now.
	waitUntil(t, "a runner to upgrade a node", midCluster)
	if err := syscall.Kill(-victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-pids[victim].done
	ps = slices.DeleteFunc(ps, func(p *proc) bool { return p.cmd.Process.Pid == victim })
	for _, p := range ps {
		code, out := p.wait(t)
		if code != exitFailed {
			t.Errorf("a runner left: exit %d; want %d (two failures)\n%s", code, exitFailed, out)
		}
		got, sum := fleetOutcomes(t, out)
		for i, c := range cs {
			want := fleetDone
			if i == fails {
				want = fleetFailed
			}
			if got[c.name] != want {
				t.Errorf("runner %d: %s %q; want %q", p.cmd.Process.Pid, c.name, got[c.name], want)
			}
		}
		if got[invalid] != fleetFailed || sum.Failures != 2 {
			t.Errorf("runner %d: %d failures, the invalid runbook %q; want 2, failed", p.cmd.Process.Pid, sum.Failures, got[invalid])
		}
	}
	for i, c := range cs {
		ups := upgradesOf(t, c)
		want := map[string]int{"FS1": 1, "FS2": 1}
		if i == fails {
			want = map[string]int{"FS1": 1}
		}
		for node, w := range want {
			if ups[node] != w {
				t.Errorf("%s: %s upgraded %d times; want %d", c.name, node, ups[node], w)
			}
		}
	}
	spans, runners := runnerSpans(t, cs)
	if k := maxOverlap(spans); k > 4 {
		t.Errorf("the stand-ins saw %d clusters rolling at once; want at most 4 (--max-concurrency 4 across the runners)", k)
	}
	if rs := runners[held]; len(rs) < 2 || rs[0] != victim {
		t.Errorf("%s, held by the killed runner %d, was acted on by %v; want it taken over by another", held, victim, rs)
	}
}
