package cluster

import "sync"

// Concurrent is implemented by a driver that runs a group of operations at
// once in a way of its own: the simulator, whose virtual clock must see them
// overlap (it runs them one by one, and ends its clock at the latest of their
// ends rather than at the sum of their durations), and every wrapper of a
// driver (the runtime's, validate's), which passes the group on. A driver on
// the wall clock need not implement it: its operations overlap by themselves
// when they are called from several goroutines, which Concurrently does.
type Concurrent interface {
	// Concurrently runs each of ops, at most limit at a time (all at once
	// when limit <= 0), and returns each one's error, in the order of ops.
	// Each op calls operations of the driver itself.
	Concurrently(limit int, ops []func() error) []error
}

// Concurrently runs ops through d: by d's own Concurrently if it implements
// Concurrent, else each in a goroutine, at most limit at a time (all at
// once when limit <= 0). It returns each op's error, in the order of ops.
// A driver called this way must be safe for concurrent use; one that cannot
// run two operations at once serializes them itself.
func Concurrently(d Driver, limit int, ops []func() error) []error {
	if c, ok := d.(Concurrent); ok {
		return c.Concurrently(limit, ops)
	}
	return RunConcurrently(limit, ops)
}

// RunConcurrently runs each of ops in a goroutine, at most limit at a time
// (all at once when limit <= 0), and returns each one's error in the order
// of ops, once all have returned.
func RunConcurrently(limit int, ops []func() error) []error {
	errs := make([]error, len(ops))
	if len(ops) == 1 {
		errs[0] = ops[0]()
		return errs
	}
	if limit <= 0 || limit > len(ops) {
		limit = len(ops)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, op := range ops {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = op()
		}()
	}
	wg.Wait()
	return errs
}
