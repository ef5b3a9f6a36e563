package runtime

import (
	"sync"

	"github.com/runbookhq/runbook/cluster"
)

// Concurrently implements cluster.Concurrent for the steps, which see the
// observer as their driver: a driver that runs a group in its own way (the
// simulator, on its virtual clock) gets the group; for any other, each
// operation runs in a goroutine, at most limit at a time, with the
// journaling of its intent and the crash point after it taken in turn.
func (o *observer) Concurrently(limit int, ops []func() error) []error {
	if c, ok := o.Driver.(cluster.Concurrent); ok {
		return c.Concurrently(limit, ops)
	}
	intent, crash := o.intent, o.crash
	var mu sync.Mutex
	if intent != nil {
		o.intent = func(key string) error {
			mu.Lock()
			defer mu.Unlock()
			return intent(key)
		}
	}
	o.crash = func(point string) {
		mu.Lock()
		defer mu.Unlock()
		crash(point)
	}
	defer func() { o.intent, o.crash = intent, crash }()
	return cluster.RunConcurrently(limit, ops)
}
