package runtime

import (
	"maps"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Outages is the downtime ledger a step's outcome record carries, so that
// a resumed run counts each resource's downtime across runs, from the
// moment it went down (the first offline of a media upgrade, say) to the
// moment it ran again, whichever runs these fall in.
type Outages struct {
	// Ended is each resource's downtime in outages that ended, since the
	// state's first run, in seconds.
	Ended map[string]float64 `json:"ended_seconds,omitempty"`
	// Since is when each resource not running at the step's end went down.
	Since map[string]time.Time `json:"since,omitempty"`
}

// ledger returns the observer's downtime so far as a journal record holds it.
func (o *observer) ledger() *Outages {
	l := take(&o.outages, Outages{})
	for r, d := range o.down {
		if d.ended > 0 {
			if l.Ended == nil {
				l.Ended = map[string]float64{}
			}
			l.Ended[r] = d.ended.Seconds()
		}
		if d.isDown {
			if l.Since == nil {
				l.Since = map[string]time.Time{}
			}
			l.Since[r] = d.since
		}
	}
	return l
}

// resumeDowntime starts a resumed run's downtime where the journal leaves
// it: the downtime of outages that ended in earlier runs, and for each
// resource down now, when it went down. The last step record's ledger says
// both as of that step's end; after it, a run that died left op records: an
// offline dates the start of an outage, an online its end, for a resource
// that runs again now. A resource down with no such record went down during
// the dead run, no earlier than its last record. Resources down since the
// snapshot count from the state's first run.
func (r *runner) resumeDowntime(recs []Record, live *cluster.Status) {
	o := r.obs
	ended := map[string]time.Duration{}
	since := map[string]time.Time{}
	if snap, err := ReadSnapshot(r.opts.State.Store); err == nil {
		first := time.Time{}
		for _, rec := range recs {
			if rec.Type == RecordRun {
				first = rec.Time
				break
			}
		}
		for name, rs := range snap.Resources {
			if rs.State != cluster.ResourceRunning && !first.IsZero() {
				since[name] = first
			}
		}
	}
	var last time.Time
	upAt := map[string]time.Time{}
	for _, rec := range recs {
		if rec.Time.After(last) {
			last = rec.Time
		}
		switch {
		case rec.Type == RecordStep && rec.Outages != nil:
			ended = map[string]time.Duration{}
			for name, s := range rec.Outages.Ended {
				ended[name] = time.Duration(s * float64(time.Second))
			}
			since = maps.Clone(rec.Outages.Since)
			if since == nil {
				since = map[string]time.Time{}
			}
			upAt = map[string]time.Time{}
		case rec.Type == RecordOp:
			switch op, subj := opSubject(rec.Op); op {
			case cluster.OpOffline:
				if _, down := since[subj]; !down {
					since[subj] = rec.Time
				}
				// A step took it offline: its going offline, which this
				// run may see first, is no surprise.
				o.downOf(subj).offlined = true
			case cluster.OpOnline:
				upAt[subj] = rec.Time
			}
		}
	}
	for name, t := range since {
		rs, ok := live.Resources[name]
		if ok && rs.State != cluster.ResourceRunning {
			continue
		}
		end := last
		if u, ok := upAt[name]; ok && u.After(t) {
			end = u
		}
		if end.After(t) {
			ended[name] += end.Sub(t)
		}
		delete(since, name)
	}
	for name, rs := range live.Resources {
		if _, down := since[name]; !down && rs.State != cluster.ResourceRunning && !last.IsZero() {
			since[name] = last
		}
	}
	for _, d := range o.down {
		d.since, d.isDown, d.ended, d.hasEnded = time.Time{}, false, 0, false
	}
	for name, e := range ended {
		d := o.downOf(name)
		d.ended, d.hasEnded = e, true
	}
	for name, t := range since {
		d := o.downOf(name)
		d.since, d.isDown = t, true
	}
}

// opSubject splits an operation key ("offline POOL1") into its operation and
// first subject.
func opSubject(key string) (op, subject string) {
	op, rest, _ := strings.Cut(key, " ")
	subject, _, _ = strings.Cut(rest, " ")
	return op, subject
}
