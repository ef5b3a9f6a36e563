package etcd

import (
	"fmt"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/etcdtest"
)

// TestSlots takes the slots of one semaphore from three processes' stores
// on a three-member cluster: never more than n held at once, a released
// slot free again, a dead holder's slots free once its lease expires (not
// before), and a leader change does not lose a slot.
func TestSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	const ttl = 2 * time.Second
	a, b, dying := open(t, c, "fleet", nil), open(t, c, "fleet", nil), open(t, c, "fleet", nil)
	sa, sb, sd := a.Slots("cap", 3, ttl, holder(1)).(*Slots), b.Slots("cap", 3, ttl, holder(2)).(*Slots), dying.Slots("cap", 3, ttl, holder(3)).(*Slots)
	t.Cleanup(func() { sa.Close(); sb.Close() })

	take := func(sl *Slots, want bool) func() {
		t.Helper()
		release, ok, err := sl.TryAcquire()
		if err != nil || ok != want {
			t.Fatalf("TryAcquire: %v, %v; want %v", ok, err, want)
		}
		return release
	}
	ra := take(sa, true)
	take(sd, true)
	take(sd, true)
	take(sb, false) // 3 of 3 held
	take(sa, false)
	hs, err := sb.Holders()
	if err != nil || len(hs) != 3 || fmt.Sprint(hs[0].PID, hs[1].PID, hs[2].PID) != "1 3 3" {
		t.Errorf("holders %v, %v; want slot 0 by PID 1, 1 and 2 by PID 3", hs, err)
	}
	ra()
	rb := take(sb, true)
	take(sa, false)

	// The dying process's connection ends without a word: its slots stay
	// held until its lease expires, then they are free.
	died := time.Now()
	dying.cli.Close()
	take(sa, false)
	deadline := time.Now().Add(ttl + 10*time.Second)
	for {
		release, ok, err := sa.TryAcquire()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if time.Since(died) < ttl-500*time.Millisecond {
				t.Errorf("a dead holder's slot was free after %s, before its lease of %s", time.Since(died), ttl)
			}
			defer release()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a dead holder's slots still held %s after its lease of %s", time.Since(died), ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	take(sa, true) // the dead holder's second slot
	take(sa, false)

	// A leader change: the slots held stay held, and are taken on.
	c.KillLeader()
	take(sb, false)
	rb()
	take(sb, true)
	if got := sb.heldSlots(); len(got) != 1 {
		t.Errorf("b holds %v; want one slot", got)
	}
}
