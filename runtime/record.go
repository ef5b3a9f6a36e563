package runtime

import "time"

// journalChange records an observed change of the cluster, at the time the
// run saw it. It is an observation, not an intent: it is written with the
// journal's next record (State.Observe), has no crash point, and a failed
// write does not stop the run (the step's own record would fail the same way
// and stop it).
func (r *runner) journalChange(e *Event) {
	if !r.journaling || r.opts.State == nil || e.Change == nil {
		return
	}
	r.opts.State.observeChange(e.Time, e.Step, e.Change)
}

// journalEnd records how the invocation ended and the downtime its summary
// reports (since the state's first run), once its run record is written.
func (r *runner) journalEnd() {
	if !r.journaling || r.opts.State == nil {
		return
	}
	rec := Record{Type: RecordEnd, Time: r.res.End, Outcome: r.res.Outcome, Message: r.res.Message, Address: r.res.Last}
	if len(r.res.Downtime) > 0 {
		rec.Downtime = make(map[string]Seconds, len(r.res.Downtime))
		for name, d := range r.res.Downtime {
			rec.Downtime[name] = Seconds(d.Seconds())
		}
	}
	_ = r.opts.State.Append(rec)
	if r.opts.HandOverLater {
		r.opts.State.writeSoon()
		return
	}
	_ = r.opts.State.HandOver()
}

// waiting passes what the step in flight waits for to Options.Waiting.
func (r *runner) waiting(what, pending string, now time.Time) {
	if r.opts.Waiting != nil && r.cur != nil {
		r.opts.Waiting(r.cur.Address, what, pending, now)
	}
}
