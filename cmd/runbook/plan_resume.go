package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
)

// resumePoint is where a run resumes, read from the journal of its state
// directory: what the plan shown before it (and `runbook plan`) starts from.
type resumePoint struct {
	// Dir is the state directory.
	Dir string
	// Last is each step's last record in the journal.
	Last map[string]runtime.Record
	// First is the index of the first step not settled (not done, skipped
	// or failed and continued past): where the run resumes. It is the number
	// of steps when none is left.
	First int
	// Doubt lists, for each step an earlier attempt left unsettled, the
	// operations whose outcome is in doubt (announced in the journal, with
	// no outcome or an outcome in doubt): what the resumed step waits for
	// rather than issue again.
	Doubt map[string][]runtime.DoubtfulOp
	// Settle is how long a resumed step waits for their effect without a
	// change (run --settle-timeout); Reissue the steps whose operations the
	// run issues again (run --reissue).
	Settle  time.Duration
	Reissue []string
	// Before is the plan's predicted downtime up to First: the whole plan's
	// minus this is the downtime still to come.
	Before map[string]time.Duration
}

// readResume reads the journal of store. It returns nil when the journal has
// no step: a fresh run, whose plan is the whole runbook.
func readResume(store runtime.Store, rrb *runtime.Runbook) (*resumePoint, error) {
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	if !runtime.HasSteps(recs) {
		return nil, nil
	}
	rp := &resumePoint{Dir: store.Where(""), Last: runtime.StepStatuses(recs), First: len(rrb.Steps), Doubt: map[string][]runtime.DoubtfulOp{}, Settle: runtime.DefaultSettle}
	for i, s := range rrb.Steps {
		rec, ok := rp.Last[s.Address]
		if ok && runtime.Settled(rec) {
			continue
		}
		if i < rp.First {
			rp.First = i
		}
		if ops := runtime.InDoubt(recs, s.Address); len(ops) > 0 {
			rp.Doubt[s.Address] = ops
		}
	}
	return rp, nil
}

// settled reports whether the journal ends the step for good: the resumed
// run does not run it.
func (rp *resumePoint) settled(addr string) bool {
	rec, ok := rp.Last[addr]
	return ok && runtime.Settled(rec)
}

// earlierNotes say how an earlier run left a step that the resumed run
// settles first, and what the resumed run does about it; none for a step no
// run has started.
func (rp *resumePoint) earlierNotes(reg steps.Registry, s runtime.Step) []string {
	rec, ok := rp.Last[s.Address]
	if !ok || runtime.Settled(rec) {
		return nil
	}
	if t, ok := reg[s.Type]; ok && !t.Mutates() {
		// approve, exec: nothing to read from the cluster; it runs again.
		return []string{"stopped here in an earlier run: runs again (" + noEffectText(runtime.StepReport{NoEffect: noEffect(t)}) + ")"}
	}
	var notes []string
	switch rec.Status {
	case runtime.StatusInDoubt:
		notes = append(notes, "in doubt after an earlier run: "+rec.Error)
	case runtime.StatusFailed:
		notes = append(notes, "failed in an earlier run: "+rec.Error)
	default:
		notes = append(notes, "in doubt: an earlier run stopped or died during it")
	}
	notes = append(notes, "settled first from the cluster's status: done if its postcondition holds, else run again from where the cluster is")
	ops := rp.Doubt[s.Address]
	if len(ops) == 0 {
		return notes
	}
	names := rp.waitsFor(s.Address)
	if slices.Contains(rp.Reissue, s.Address) {
		return append(notes, "issues again, as asked (--reissue): "+strings.Join(names, ", "))
	}
	for _, op := range ops {
		if op.Pgid != 0 && !op.Ended {
			where := ""
			if op.Host != "" {
				where = " on " + op.Host
			}
			notes = append(notes, fmt.Sprintf("the command of %s may still run (process group %d%s): the run waits for it to end, at most the step's timeout", op.Op, op.Pgid, where))
		}
	}
	return append(notes, fmt.Sprintf("waits for the effect of %s, in doubt, without issuing it again: at most %s (--settle-timeout) with no change in the cluster, then it stops in doubt; --reissue %s issues it again once you have checked",
		strings.Join(names, ", "), runtime.FormatDuration(rp.Settle), s.Address))
}

// waitsFor names the operations in doubt of the step at addr.
func (rp *resumePoint) waitsFor(addr string) []string {
	var names []string
	for _, op := range rp.Doubt[addr] {
		names = append(names, op.Op)
	}
	return names
}

// noEffect is what a step type that changes no cluster state does, if it
// says.
func noEffect(t steps.Type) string {
	if n, ok := t.(steps.PlanNoter); ok {
		return n.PlanNote()
	}
	return ""
}

// resumeFor reads where a run with driver resumes, for the plan shown
// before it; a journal that cannot be read shows the whole plan (the run
// itself then reports the journal's error).
func (a *app) resumeFor(rb *lang.Runbook, rrb *runtime.Runbook, store runtime.Store) *resumePoint {
	rp, err := readResume(store, rrb)
	if err != nil || rp == nil {
		return nil
	}
	a.predictBefore(rb, rrb, rp)
	return rp
}

// predictBefore fills in rp.Before: the plan's downtime up to the step
// where the run resumes, from a plan stopped after the step before it.
func (a *app) predictBefore(rb *lang.Runbook, rrb *runtime.Runbook, rp *resumePoint) {
	if rp.First == 0 {
		return
	}
	before := a.predictUntil(rb, rrb, rrb.Steps[rp.First-1].Address)
	rp.Before = before.Downtime
}

// checkStopAfter refuses a --stop-after that names a step the journal has
// settled: the run would never stop there.
func checkStopAfter(args *runArgs, rrb *runtime.Runbook, rp *resumePoint) error {
	if args.StopAfter == "" || rp == nil || !rp.settled(args.StopAfter) {
		return nil
	}
	status := rp.Last[args.StopAfter].Status
	if status == runtime.StatusFailed {
		status = "failed, and the run went on past it (on_failure = \"continue\")"
	}
	resume := "every step is settled: nothing is left to run"
	if rp.First < len(rrb.Steps) {
		resume = "the run resumes at " + rrb.Steps[rp.First].Address
	}
	return fmt.Errorf("--stop-after %s: that step is already %s (the journal in %s), so the run would never stop after it; %s. Name a step that is left (`runbook plan %s` lists them), or leave out --stop-after",
		args.StopAfter, status, rp.Dir, resume, args.Path)
}
