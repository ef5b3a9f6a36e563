package runtime

import "time"

// SlotStore is a store that can keep a counting semaphore shared by every
// process that uses the store: the cap of a fleet of clusters across its
// runners.
type SlotStore interface {
	// Slots opens the semaphore name of n slots. A holder that died leaves
	// its slots at most ttl later (the work it kept in them may hold them
	// longer).
	Slots(name string, n int, ttl time.Duration, holder Holder) Slots
}

// Slots is a counting semaphore whose slots keep, beyond the life of their
// holder, what it took them for: the work it keeps in a slot holds the slot
// until the next taker finds it over.
type Slots interface {
	// TryAcquire takes a free slot without waiting: ok is false when every
	// slot is held, by a live holder or by the work a holder kept in it
	// that busy (given the slot's number and that work) says is not over.
	// work is kept in the slot taken (nil keeps none, and clears work found
	// over). release frees the slot; with clearWork the work kept goes too.
	TryAcquire(work []byte, busy func(slot int, kept []byte) bool) (release func(clearWork bool), ok bool, err error)
	// Kept returns the work kept in each slot, by number.
	Kept() (map[int][]byte, error)
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
