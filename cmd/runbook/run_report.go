package main

import (
	"sync"
	"time"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
)

// liveReport builds the report of a run as it goes, on a goroutine of its
// own (the run's loop keeps to one processor): every reportPoll it gives
// the records journaled since to a report.Builder, so that at the run's
// end only the last ones, the plan's timeline and the page are left to
// make. It serves a run that is its own plan (planLater) and whose journal
// hides nothing: the report of such a run starts from the declared
// cluster, known before the run, and is made of the records in memory.
// Any other run's report is made whole at its end (report.Build); either
// way, the report `runbook report` makes of the same state.
type liveReport struct {
	rb  *lang.Runbook
	in  *report.Input
	b   *report.Builder
	st  *runtime.State
	fed int // the records given to b
	// The run's changes, its plan when it completes (planOf), and those
	// given to b (Builder.Plan), which replays the plan's timeline from
	// them as the run goes.
	changes *changeRecorder
	planned int
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// reportPoll is how often a live report takes the run's new records.
var reportPoll = 25 * time.Millisecond

// startLiveReport starts the report of the run of rb on st: with the input
// and builder that come on ahead (prepareRun), or made here when ahead is
// nil or none come on it.
func startLiveReport(rb *lang.Runbook, rrb *runtime.Runbook, store runtime.Store, st *runtime.State, changes *changeRecorder, ahead <-chan liveStart) *liveReport {
	lr := &liveReport{rb: rb, st: st, changes: changes, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lr.done)
		// The input (no snapshot: from the declared cluster) is made here,
		// on the second processor, while the run starts; lr.in and lr.b
		// are read only here and after end.
		var s liveStart
		if ahead != nil {
			s = <-ahead
		}
		if s.in != nil {
			lr.in, lr.b = s.in, s.b
			lr.in.StateDir = store.Where("")
		} else {
			lr.in = declaredInput(rb, rrb, store)
			lr.b = report.NewBuilder(lr.in)
		}
		if lr.changes != nil {
			lr.changes.ready()
		}
		tick := time.NewTicker(reportPoll)
		defer tick.Stop()
		for {
			select {
			case <-lr.stop:
				return
			case <-tick.C:
				lr.take(st.RecordList())
			}
		}
	}()
	return lr
}

// take gives the builder the records of recs it has not had, then the
// changes recorded since the last take.
func (lr *liveReport) take(recs runtime.RecordList) {
	if n := recs.Len(); n > lr.fed {
		lr.b.Add(recs.Slice(lr.fed, n))
		lr.fed = n
	}
	if lr.changes == nil {
		return
	}
	for _, events := range lr.changes.since(lr.planned) {
		lr.b.Plan(events)
		lr.planned += len(events)
	}
	lr.changes.ready()
}

// end stops the goroutine (once; nothing for a nil liveReport).
func (lr *liveReport) end() {
	if lr == nil {
		return
	}
	lr.once.Do(func() {
		close(lr.stop)
		<-lr.done
	})
}

// report ends the report with the run's records, all of them, and its
// plan: nil when there is no live report, or when the plan is not the
// run's own (a run that did not complete): its report starts from the
// snapshot, and is made whole.
func (lr *liveReport) report(recs runtime.RecordList, plan *plannedRun) *report.Report {
	if lr == nil {
		return nil
	}
	lr.end()
	if plan == nil || !plan.fromRun {
		return nil
	}
	lr.take(recs)
	// The builder has had all the plan's events: the run's changes.
	journaledInput(lr.in, lr.rb, recs, plan, plan.changes == lr.changes && lr.changes != nil)
	return lr.b.Report()
}
