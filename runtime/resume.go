package runtime

import (
	"strings"

	"github.com/runbookhq/runbook/cluster"
)

// resumeEnv tells a step what its earlier attempts left, before it checks
// anything: the operations they issued (env.Issued) and the cluster as it
// was before the first of them (env.Before). Both stay nil on a step's
// first attempt (wide is false) and without a state directory.
func (r *runner) resumeEnv(s *Step, wide bool) {
	r.env.Issued, r.env.Ended, r.env.Before = nil, nil, nil
	if !wide || r.opts.State == nil {
		return
	}
	recs := r.opts.State.Records()
	r.env.Issued = Issued(recs, s.Address)
	r.env.Ended = ended(recs, s.Address)
	if ip, ok := r.opts.Driver.(cluster.InProcess); ok {
		for op := range r.env.Issued {
			if name, _, _ := strings.Cut(op, " "); !ip.Outlives(name) {
				if r.env.Ended == nil {
					r.env.Ended = map[string]bool{}
				}
				r.env.Ended[op] = true
			}
		}
	}
	r.env.Before = stepBefore(r.opts.State.Store, recs, s.Address)
}

// stepBefore returns the status the journal expects just before the first
// attempt of the step at addr since it last ended for good (done, skipped,
// or failed and continued past): where the cluster was before the step
// changed anything. Nil when no attempt started, or the snapshot cannot be
// read.
func stepBefore(store Store, recs []Record, addr string) *cluster.Status {
	first := -1
	for i, rec := range recs {
		if rec.Type != RecordStep || rec.Address != addr {
			continue
		}
		switch {
		case Settled(rec):
			first = -1
		case rec.Status == StatusStarted && first < 0:
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	snap, err := ReadSnapshot(store)
	if err != nil {
		return nil
	}
	return Expected(snap, recs[:first])
}

// ended returns the operations of the step at addr, since it last ended,
// whose commands are known to have ended: those with an outcome record, and
// those announced before a record of the step's outcome by the run that
// issued them (it waits for every command it started, or stops it, before
// it journals the step in doubt). The others belong to a run that died
// while they ran: they may still be under way.
func ended(recs []Record, addr string) map[string]bool {
	var out map[string]bool
	var open []string
	for _, rec := range recs {
		if rec.Address != addr {
			continue
		}
		switch {
		case rec.Type == RecordOp:
			open = append(open, rec.Op)
		case rec.Type == RecordOpEnd:
			// Its run saw its command end, whatever the outcome.
			if out == nil {
				out = map[string]bool{}
			}
			out[rec.Op] = true
		case rec.Type != RecordStep:
		case rec.Status == StatusStarted:
		case rec.Status == StatusInDoubt:
			for _, op := range open {
				if out == nil {
					out = map[string]bool{}
				}
				out[op] = true
			}
			open = nil
		default:
			out, open = nil, nil
		}
	}
	return out
}

// endedWithRun marks as ended the operations in doubt that a driver running
// its operations within the runbook's process (cluster.InProcess) ended with
// the run that died: the step settles them from the cluster, and may issue
// them again where the cluster shows no effect.
func (r *runner) endedWithRun(doubts []DoubtfulOp) []DoubtfulOp {
	ip, ok := r.opts.Driver.(cluster.InProcess)
	if !ok {
		return doubts
	}
	for i := range doubts {
		if name, _, _ := strings.Cut(doubts[i].Op, " "); !ip.Outlives(name) {
			doubts[i].Ended = true
		}
	}
	return doubts
}
