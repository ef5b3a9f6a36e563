package sim

import (
	"container/heap"
	"errors"
	"time"
)

// Concurrently implements cluster.Concurrent: it runs the operations of a
// group as if they ran at once, at most limit at a time (all when limit <=
// 0). They run one after another, each in a lane of its own: an operation
// starts when the first lane is free, takes its usual time there, and the
// clock ends at the latest lane's end, so that n refreshes of a minute
// each, all at once, take a minute, whatever n. The clock never goes back:
// an operation's effect is recorded at its lane's start, which is what a
// status read after the group sees anyway.
func (s *Sim) Concurrently(limit int, ops []func() error) []error {
	errs := make([]error, len(ops))
	if s.inLane {
		// A group within an operation of a group: its lane holds it all.
		for i, op := range ops {
			errs[i] = op()
		}
		return errs
	}
	if limit <= 0 || limit > len(ops) {
		limit = len(ops)
	}
	// free holds when each lane is free, earliest first: a heap, so that a
	// group of thousands costs no scan of the lanes per operation.
	free := make(laneHeap, limit)
	for i := range free {
		free[i] = s.st.Clock
	}
	for i, op := range ops {
		if free[0].After(s.st.Clock) {
			s.st.Clock = free[0]
			s.changed.clock = true
		}
		took, err := s.runInLane(op)
		errs[i] = err
		free[0] = s.st.Clock.Add(took)
		heap.Fix(&free, 0)
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

// runInLane runs op with the time it takes collected rather than spent.
func (s *Sim) runInLane(op func() error) (took time.Duration, err error) {
	s.inLane, s.laneTook = true, 0
	defer func() { s.inLane, s.laneTook = false, 0 }()
	err = op()
	return s.laneTook, err
}

// laneHeap is a min-heap of the times lanes are free.
type laneHeap []time.Time

func (h laneHeap) Len() int           { return len(h) }
func (h laneHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h laneHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *laneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
