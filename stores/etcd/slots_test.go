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
		release, ok, err := sl.TryAcquire(nil, nil)
		if err != nil || ok != want {
			t.Fatalf("TryAcquire: %v, %v; want %v", ok, err, want)
		}
		if release == nil {
			return nil
		}
		return func() { release(true) }
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
		release, ok, err := sa.TryAcquire(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if time.Since(died) < ttl-500*time.Millisecond {
				t.Errorf("a dead holder's slot was free after %s, before its lease of %s", time.Since(died), ttl)
			}
			defer release(true)
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

// TestSlotsKeptWork keeps work in slots: a holder's work outlives it, a
// taker whose busy says the work is not over gives the slot back (it stays
// free for the next), one that says it is over takes the slot and keeps its
// own work; a release that clears the work leaves none, one that does not
// leaves it for the next taker; Kept lists the work.
func TestSlotsKeptWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	const ttl = time.Second
	a, dying := open(t, c, "fleet", nil), open(t, c, "fleet", nil)
	sa, sd := a.Slots("cap", 2, ttl, holder(1)).(*Slots), dying.Slots("cap", 2, ttl, holder(2)).(*Slots)
	t.Cleanup(func() { sa.Close() })

	if _, ok, err := sd.TryAcquire([]byte("east"), nil); !ok || err != nil {
		t.Fatalf("TryAcquire: %v, %v", ok, err)
	}
	kept, err := sa.Kept()
	if err != nil || len(kept) != 1 || string(kept[0]) != "east" {
		t.Fatalf("Kept: %v, %v; want slot 0 keeping east", kept, err)
	}
	dying.cli.Close()
	// Once the dying holder's lease expired, its slot is free but for
	// its work.
	var asked []string
	busy := func(k int, w []byte) bool {
		asked = append(asked, fmt.Sprintf("%d:%s", k, w))
		return string(w) == "east"
	}
	waitFor(t, ttl+10*time.Second, func() bool {
		hs, err := sa.Holders()
		return err == nil && len(hs) == 0
	})
	r1, ok, err := sa.TryAcquire([]byte("west"), busy)
	if !ok || err != nil || fmt.Sprint(asked) != "[0:east]" || fmt.Sprint(sa.heldSlots()) != "[1]" {
		t.Fatalf("TryAcquire: %v, %v, asked %v, holds %v; want slot 1, slot 0 given back while east's work is not over", ok, err, asked, sa.heldSlots())
	}
	if _, ok, _ := sa.TryAcquire([]byte("north"), busy); ok {
		t.Fatal("took slot 0 while east's work holds it")
	}
	r1(false) // west's work kept
	kept, err = sa.Kept()
	if err != nil || string(kept[1]) != "west" || string(kept[0]) != "east" {
		t.Fatalf("Kept: %v, %v; want east and west kept", kept, err)
	}
	// east's work is over: its slot is taken, its work replaced.
	asked = nil
	r0, ok, err := sa.TryAcquire([]byte("north"), func(k int, w []byte) bool { asked = append(asked, string(w)); return false })
	if !ok || err != nil || fmt.Sprint(asked) != "[east]" {
		t.Fatalf("TryAcquire: %v, %v, asked %v", ok, err, asked)
	}
	r0(true)
	kept, err = sa.Kept()
	if err != nil || len(kept) != 1 || string(kept[1]) != "west" {
		t.Fatalf("Kept: %v, %v; want west's alone", kept, err)
	}
}

// waitFor polls cond until it holds, or fails the test after limit.
func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("timed out")
		}
	}
}
