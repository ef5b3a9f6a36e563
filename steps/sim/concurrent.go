package sim

import (
	"errors"
	"time"
)

// Concurrently implements steps.Concurrent: it runs the operations of a
// group as if they ran at once, at most limit at a time (all when limit <=
// 0). They run one after another, each in a lane of its own: an operation
// starts when the first lane is free, takes its usual time there, and the
// clock ends at the latest lane's end, so that n refreshes of a minute
// each, all at once, take a minute, whatever n. The clock never goes back:
// an operation's effect is recorded at its lane's start, which is what a
// status read after the group sees anyway.
func (s *Sim) Concurrently(limit int, ops []func() error) []error {
	errs := make([]error, len(ops))
	if s.lane != nil {
		// A group within an operation of a group: its lane holds it all.
		for i, op := range ops {
			errs[i] = op()
		}
		return errs
	}
	if limit <= 0 || limit > len(ops) {
		limit = len(ops)
	}
	free := make([]time.Time, limit)
	for i := range free {
		free[i] = s.st.Clock
	}
	for i, op := range ops {
		k := 0
		for j := range free {
			if free[j].Before(free[k]) {
				k = j
			}
		}
		if free[k].After(s.st.Clock) {
			s.st.Clock = free[k]
			s.changed.clock = true
		}
		took, err := s.inLane(op)
		errs[i] = err
		free[k] = s.st.Clock.Add(took)
	}
	end := s.st.Clock
	for _, f := range free {
		if f.After(end) {
			end = f
		}
	}
	if end.After(s.st.Clock) {
		s.st.Clock = end
		s.changed.clock = true
		if err := s.commit(); err != nil && len(errs) > 0 {
			errs[len(errs)-1] = errors.Join(errs[len(errs)-1], err)
		}
	}
	return errs
}

// inLane runs op with the time it takes collected rather than spent.
func (s *Sim) inLane(op func() error) (took time.Duration, err error) {
	s.lane = &took
	defer func() { s.lane = nil }()
	err = op()
	return took, err
}
