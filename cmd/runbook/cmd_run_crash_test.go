package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/procgroup"
	"github.com/runbookhq/runbook/stores/local"
)

// The crash-point sweep: for every cluster-changing command of a whole exec
// run against the stand-in, the runbook is interrupted while that command is
// in flight, held at a gate before its effect or after it (the stand-in's
// block faults), with SIGKILL, SIGHUP and SIGTERM, then run again: at once,
// while the command still runs, or later, once it has ended. Each trial
// must end as an uninterrupted run does: the same final status, the same
// operations each issued once (every node upgraded once, the licence and the
// media once), no failed command, and a clean audit of the stand-in's log;
// with the stand-in reporting the shared resources it took offline as
// `upgrade` or as `offline`.

// crashTrial is one interruption.
type crashTrial struct {
	op      string // the stand-in command in flight ("leave FS1")
	after   bool   // held after its effect, not before
	sig     syscall.Signal
	later   bool // resume once the command has ended, not while it runs
	offline bool // the stand-in reports shared resources taken offline as offline
}

func (c crashTrial) name() string {
	point := "before"
	if c.after {
		point = "after"
	}
	when := "at-once"
	if c.later {
		when = "later"
	}
	mode := "upgrade"
	if c.offline {
		mode = "offline"
	}
	return strings.Join([]string{strings.ReplaceAll(c.op, " ", "_"), point, strings.ToUpper(unix(c.sig)), when, mode}, "/")
}

func unix(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGKILL:
		return "kill"
	case syscall.SIGHUP:
		return "hup"
	case syscall.SIGTERM:
		return "term"
	}
	return sig.String()
}

// target is the stand-in's fault target of a command: its name and first
// argument ("leave:FS1", "license:add").
func target(op string) string {
	f := strings.Fields(op)
	return f[0] + ":" + f[1]
}

// crashTrials lists the trials: every operation of the reference run,
// before and after its effect; SIGKILL resumed at once and later, SIGHUP and
// SIGTERM (which stop the run after the step: the command has ended when it
// exits); the media upgrade's operations in both of the stand-in's ways of
// reporting what it took offline. -short keeps SIGKILL at once, before and
// after the effect, of every operation.
func crashTrials(short bool) []crashTrial {
	var out []crashTrial
	for _, op := range standincheck.CL1Operations {
		modes := []bool{false}
		switch strings.Fields(op)[0] {
		case "offline", "media-upgrade", "media-refresh", "online":
			modes = []bool{false, true}
		}
		for _, offline := range modes {
			for _, after := range []bool{false, true} {
				out = append(out, crashTrial{op: op, after: after, sig: syscall.SIGKILL, offline: offline})
				if short {
					continue
				}
				out = append(out,
					crashTrial{op: op, after: after, sig: syscall.SIGKILL, later: true, offline: offline},
					crashTrial{op: op, after: after, sig: syscall.SIGHUP, offline: offline},
					crashTrial{op: op, after: after, sig: syscall.SIGTERM, offline: offline})
			}
		}
	}
	return out
}

// TestExecCrashSweep runs every crash trial; each is its own test, in
// parallel with the others.
func TestExecCrashSweep(t *testing.T) {
	t.Parallel()
	ref := newCrashEnv(t, false)
	if code, out := ref.run(nil); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, out)
	}
	wantOps := standincheck.Operations(ref.log())
	if diff := cmp.Diff(standincheck.CL1Operations, standincheck.Canonical(wantOps)); diff != "" {
		t.Fatalf("uninterrupted run's operations (-want +got):\n%s", diff)
	}
	wantStatus := ref.standinStatus()
	trials := crashTrials(testing.Short())
	t.Logf("%d trials", len(trials))
	for _, tc := range trials {
		t.Run(tc.name(), func(t *testing.T) {
			t.Parallel()
			e := newCrashEnv(t, tc.offline)
			tc.run(e)
			if t.Failed() {
				return
			}
			e.audit(false)
			got := standincheck.Operations(e.log())
			if diff := cmp.Diff(sortedOps(wantOps), sortedOps(got)); diff != "" {
				t.Errorf("operations issued, in any order (-uninterrupted +interrupted):\n%s", diff)
			}
			for _, r := range e.log() {
				if r.Kind == standincheck.KindCommand && r.Exit != 0 && r.Op() != "status" {
					t.Errorf("command %q failed: %s", r.Op(), r.Error)
				}
			}
			if diff := cmp.Diff(wantStatus, e.standinStatus(), cmp.AllowUnexported(cluster.Status{})); diff != "" {
				t.Errorf("final status (-uninterrupted +interrupted):\n%s", diff)
			}
		})
	}
}

func sortedOps(ops []string) []string {
	out := slices.Clone(ops)
	slices.Sort(out)
	return out
}

// newCrashEnv is a fresh stand-in cluster whose upgraded nodes rejoin at
// once, reporting shared resources taken offline as offline (on no node) if
// asked.
func newCrashEnv(t *testing.T, offline bool) *execEnv {
	t.Helper()
	return newExecEnvWith(t, 0, func(d *standincheck.Description) {
		if offline {
			d.OfflineAs = cluster.ResourceOffline
		}
	})
}

// standinStatus is the cluster's status as the stand-in reports it.
func (e *execEnv) standinStatus() *cluster.Status {
	e.t.Helper()
	out, err := e.standinCmd("status")
	if err != nil {
		e.t.Fatalf("standin status: %v\n%s", err, out)
	}
	st, err := cluster.ParseStatus([]byte(out))
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// run plays the trial on e, to the end of the resumed run.
func (tc crashTrial) run(e *execEnv) {
	t := e.t
	gate := t.TempDir()
	fault := "block"
	marker := filepath.Join(gate, target(tc.op)+".before")
	if tc.after {
		fault, marker = "block-after", filepath.Join(gate, target(tc.op)+".after")
	}
	p := e.start([]string{"STANDIN_FAULTS=" + fault + ":" + target(tc.op), "STANDIN_GATE=" + gate, "STANDIN_HANG=1m"}, e.runArgs()...)
	open := func() {
		if err := os.WriteFile(marker+".go", nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// In flight: the command waits at the gate, and the journal has its
	// process group.
	var pgid int
	waitUntil(t, tc.op+" in flight", func() bool {
		select {
		case <-p.done:
			t.Fatalf("the run ended before %s was in flight: exit %d\n%s", tc.op, p.code, p.out)
		default:
		}
		data, err := os.ReadFile(marker)
		if err != nil || !strings.HasSuffix(string(data), "\n") {
			return false
		}
		pgid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		recs, err := runtime.ReadJournal(local.New(e.state))
		if err != nil {
			return false
		}
		for _, r := range recs {
			if r.Type == runtime.RecordOpStarted && r.Pgid == pgid {
				return true
			}
		}
		return false
	})

	if err := p.cmd.Process.Signal(tc.sig); err != nil {
		t.Fatal(err)
	}
	// SIGHUP and SIGTERM stop the run after the step in flight: it waits
	// for the command. A run that dies of the signal is a crash like
	// SIGKILL.
	stopping := false
	if tc.sig != syscall.SIGKILL {
		waitUntil(t, "the run to stop or die", func() bool {
			select {
			case <-p.done:
				return true
			default:
			}
			stopping = strings.Contains(p.out.String(), "stopping after the current step")
			return stopping
		})
	}
	if stopping {
		open()
		if code, out := p.wait(t); code != exitStopped && code != exitOK {
			t.Fatalf("the stopped run: exit %d; want %d (or %d, at the last step)\n%s", code, exitStopped, exitOK, out)
		}
	} else {
		p.wait(t)
		if tc.later {
			open()
			waitUntil(t, "the command to end", func() bool { return !procgroup.Alive(pgid) })
		}
	}

	q := e.start(nil, e.runArgs()...)
	if !stopping && !tc.later {
		// The command still runs: the resumed run waits for it.
		q.waitOutput(t, fmt.Sprintf("(process group %d) is still running: waiting for it to end", pgid))
		open()
	}
	if code, out := q.wait(t); code != exitOK {
		t.Fatalf("resumed run: exit %d; want %d\nfirst run:\n%s\nresumed run:\n%s", code, exitOK, p.out, out)
	}
}

// TestExecReissue: the runbook dies while the upgrade of FS1 is in flight,
// and the upgrade command dies too, before it acts (the node never got
// it). The resumed run does not upgrade FS1 again: it waits for the
// upgrade's effect for the settle time, then stops in doubt (exit 1),
// saying what to check and that --reissue exists. --reissue on a step that
// is not in doubt is a usage error; on this one, it issues the upgrade
// again, once, and the run completes.
func TestExecReissue(t *testing.T) {
	t.Parallel()
	e := newCrashEnv(t, false)
	gate := t.TempDir()
	p := e.start([]string{"STANDIN_FAULTS=block:upgrade:FS1", "STANDIN_GATE=" + gate, "STANDIN_HANG=1m"}, e.runArgs()...)
	marker := filepath.Join(gate, "upgrade:FS1.before")
	var pgid int
	waitUntil(t, "the upgrade in flight", func() bool {
		data, err := os.ReadFile(marker)
		if err != nil || !strings.HasSuffix(string(data), "\n") {
			return false
		}
		pgid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		return true
	})
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the upgrade command to die", func() bool { return !procgroup.Alive(pgid) })

	code, out := e.run(nil, "--settle-timeout", "1s")
	if code != exitFailed {
		t.Fatalf("resumed run: exit %d; want %d\n%s", code, exitFailed, out)
	}
	wantContains(t, out, stepFS1Upgrade+": in doubt: ", "no sign of the effect of upgrade FS1, which an earlier run issued and left in doubt, within the settle time of 1s",
		"check on the cluster whether upgrade FS1 took effect", "--reissue "+stepFS1Upgrade)
	if got := e.upgrades(); len(got) != 0 {
		t.Fatalf("upgrades %v; want none (the command died before it acted, and no run issued it again)", got)
	}

	code, out = e.run(nil, "--reissue", stepFS1Failback)
	if code != exitUsage || !strings.Contains(out, "--reissue "+stepFS1Failback+": the step is not in doubt") {
		t.Errorf("--reissue of a step not in doubt: exit %d; want %d\n%s", code, exitUsage, out)
	}
	code, out = e.run(nil, "--reissue", stepFS1Upgrade)
	if code != exitOK {
		t.Fatalf("--reissue: exit %d; want %d\n%s", code, exitOK, out)
	}
	wantContains(t, out, "asked to issue upgrade FS1 again (--reissue)")
	e.audit(false)
	if got, want := e.upgrades(), map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}; !cmp.Equal(got, want) {
		t.Errorf("upgrades per node %v; want %v", got, want)
	}
	recs, err := runtime.ReadJournal(local.New(e.state))
	if err != nil {
		t.Fatal(err)
	}
	var reissue *runtime.Record
	for i := range recs {
		if recs[i].Type == runtime.RecordReissue {
			reissue = &recs[i]
		}
	}
	if reissue == nil || reissue.Address != stepFS1Upgrade || !cmp.Equal(reissue.Ops, []string{"upgrade FS1"}) || reissue.User == "" || reissue.Host == "" {
		t.Errorf("the journal's reissue record %+v; want who asked to issue upgrade FS1 again", reissue)
	}
}
