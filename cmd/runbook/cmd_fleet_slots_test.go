package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// holdScript stands in for an operator's command that takes its time: it
// says it started (touching $1), waits until $2 exists (at most a minute),
// then runs the rest of its arguments in its place.
const holdScript = `#!/bin/sh
started=$1 release=$2
shift 2
: > "$started"
i=0
while [ ! -e "$release" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
exec "$@"
`

// TestFleetSlotOutlivedCommand SIGKILLs a fleet runner whose exec command
// (in its own process group) outlives it: the slot it held stays taken
// until that command ends, so another runner's cluster waits for it, and
// says why; then the command ends, the cluster starts, and the same
// command resumes the first cluster from its journal.
func TestFleetSlotOutlivedCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	testFleetSlotOutlived(t, filepath.Join(t.TempDir(), "state"))
}

// TestFleetSlotOutlivedCommandNoState is TestFleetSlotOutlivedCommand
// without --state: the second fleet run, over the same clusters (the next
// one first), finds the command in the first cluster's journal when it
// starts, and counts it in its own cap while it runs.
func TestFleetSlotOutlivedCommandNoState(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	testFleetSlotOutlived(t, "")
}

// testFleetSlotOutlived is TestFleetSlotOutlivedCommand with --state
// state (none if "") and the flags given.
func testFleetSlotOutlived(t *testing.T, state string, flags ...string) {
	cs, env := newFleetExec(t, 2, 100*time.Millisecond, nil)
	dir := t.TempDir()
	hold, started, release := filepath.Join(dir, "hold"), filepath.Join(dir, "started"), filepath.Join(dir, "release")
	if err := os.WriteFile(hold, []byte(holdScript), 0o755); err != nil {
		t.Fatal(err)
	}
	// c00's upgrades wait for the test's word.
	hcl, err := os.ReadFile(cs[0].hcl)
	if err != nil {
		t.Fatal(err)
	}
	held := strings.Replace(string(hcl), "upgrade = [var.standin,", "upgrade = ["+quote(hold)+", "+quote(started)+", "+quote(release)+", var.standin,", 1)
	if held == string(hcl) {
		t.Fatal("no upgrade command to hold in c00's runbook")
	}
	if err := os.WriteFile(cs[0].hcl, []byte(held), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--json", "--max-concurrency", "1"}, flags...)
	slot := "a slot"
	if state != "" {
		args, slot = append(args, "--state", state), "slot 0"
	}

	// A runner rolls c00 and dies while the upgrade of FS1 runs.
	a := startFleet(t, env, append(args, cs[0].hcl, cs[1].hcl)...)
	waitUntil(t, "c00's upgrade of FS1 to start", func() bool { _, err := os.Stat(started); return err == nil })
	if err := syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done

	// Another runner, c01 first: its slot is the dead runner's, held by
	// the command that outlived it.
	b := startFleet(t, env, append(args, cs[1].hcl, cs[0].hcl)...)
	why := slot + " is held by the command of c00's step rolling.upgrade[FS1].upgrade-node.upgrade (upgrade FS1, process group "
	waitUntil(t, "the second runner to say why it waits, or to roll c01", func() bool {
		select {
		case <-b.done:
			return true
		default:
		}
		return strings.Contains(b.out.String(), why) || len(rollingSpans(t, cs[1:])) > 0
	})
	if spans := rollingSpans(t, cs[1:]); len(spans) > 0 {
		t.Fatalf("c01's stand-in received commands while c00's upgrade, in the slot of the runner killed, ran on: two clusters changing under --max-concurrency 1\n%s", b.out)
	}
	wantContains(t, b.out.String(), why, "which outlived its runner")
	if state != "" {
		// fleet status says so too, from the slot and c00's journal: once
		// c00's lock is free as well (in etcd, its lease may expire a
		// moment after the slot's; until then c00 counts as rolling, under
		// its runner).
		runbookBin, _ := buildExecBins(t)
		var rep fleetStatusReport
		var out []byte
		var err error
		waitUntil(t, "fleet status to list the slot held", func() bool {
			status := exec.Command(runbookBin, "fleet", "status", "--json", "--state", state, cs[0].hcl, cs[1].hcl)
			status.Env = env
			rep = fleetStatusReport{}
			if out, err = status.Output(); err == nil {
				err = json.Unmarshal(out, &rep)
			}
			return err != nil || len(rep.Slots) > 0
		})
		if err != nil || len(rep.Slots) != 1 {
			t.Errorf("fleet status: %v, slots %+v; want slot 0 held by c00's command\n%s", err, rep.Slots, out)
		} else if sl := rep.Slots[0]; sl.Slot != 0 || sl.Cluster != "c00" || sl.Op != "upgrade FS1" || sl.Pgid <= 0 || !strings.HasPrefix(sl.Why, why) {
			t.Errorf("fleet status: slot %+v; want slot 0 held by the command of c00's upgrade of FS1", sl)
		}
	}
	// The command ends: the slot is free, c01 rolls.
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, bout := b.wait(t)
	if code != exitOK {
		t.Errorf("the second runner: exit %d; want %d\n%s", code, exitOK, bout)
	}
	wantContains(t, bout, strings.ToUpper(slot[:1])+slot[1:]+" is free again")
	// c01 rolled once the command ended (its stand-in's first command
	// after the upgrade the command ran); c00 resumed after it, FS1's
	// upgrade settled from the cluster.
	recs, err := standincheck.ReadLog(cs[0].standinDir)
	if err != nil {
		t.Fatal(err)
	}
	var upgraded time.Time
	for _, r := range recs {
		if r.Kind == standincheck.KindCommand && len(r.Args) > 1 && r.Args[0] == "upgrade" && r.Args[1] == "FS1" {
			upgraded = r.Time
		}
	}
	if spans := rollingSpans(t, cs[1:]); upgraded.IsZero() || len(spans) != 1 || !spans[0].start.After(upgraded) {
		t.Errorf("c00's FS1 upgraded at %s by the command that outlived its runner; c01 rolled %v: want after it", upgraded, spans)
	}
	for _, c := range cs {
		if ups := upgradesOf(t, c); ups["FS1"] != 1 || ups["FS2"] != 1 {
			t.Errorf("%s: upgrades %v; want each node once", c.name, ups)
		}
	}
}

// quote is s as an HCL string.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
