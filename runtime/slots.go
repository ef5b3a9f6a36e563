package runtime

import "time"

// SlotStore is a store that can keep a counting semaphore shared by every
// process that uses the store: the cap of a fleet of clusters across its
// runners.
type SlotStore interface {
	// Slots opens the semaphore name of n slots. A slot outlives a holder
	// that died by at most ttl.
	Slots(name string, n int, ttl time.Duration, holder Holder) Slots
}

// Slots is a counting semaphore.
type Slots interface {
	// TryAcquire takes a free slot without waiting: ok is false when every
	// slot is held. release frees it.
	TryAcquire() (release func(), ok bool, err error)
	// Close frees every slot this process holds.
	Close() error
}

// FailureStore is a store that can count a fleet's failures across every
// runner that shares the store.
type FailureStore interface {
	// Failures joins the fleet's current window of failures: the one of
	// the runners still live, or, when none is, a new one that starts
	// with no failure. The runner stays in it until Close; a runner that
	// died leaves it at most ttl later.
	Failures(ttl time.Duration, holder Holder) (Failures, error)
}

// Failures are the failures of a fleet's window, one record a cluster.
type Failures interface {
	// Record records that cluster failed, once: recording it again
	// changes nothing.
	Record(cluster string) error
	// Recorded reports whether cluster's failure is recorded.
	Recorded(cluster string) (bool, error)
	// Count is how many clusters' failures are recorded.
	Count() (int, error)
	// Close leaves the window.
	Close() error
}
