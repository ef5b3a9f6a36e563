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
