package local

import "time"

// SetHeldDelay sets how long a session holds writes back, until the test
// ends.
func SetHeldDelay(t interface{ Cleanup(func()) }, d time.Duration) {
	old := heldDelay
	heldDelay = d
	t.Cleanup(func() { heldDelay = old })
}
