package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/runbookhq/runbook/runtime"
)

var _ runtime.SlotStore = (*Store)(nil)

// Slots is a counting semaphore of n slots in etcd, shared by every process
// that opens it with the same store and name: the cap of a fleet across its
// runners. Slot k is the key PREFIX/slots/NAME/k, held while it exists. A
// process creates its slots under one lease of its own, kept alive while
// it lives: when it dies (or is paused past the lease), etcd deletes them
// when the lease expires, and its slots are free for the others, unless
// the work it kept in one (the key PREFIX/.slots/NAME/k, under no lease,
// written once the slot is taken) is not over: the next taker asks, and
// gives the slot back while it is not.
type Slots struct {
	s      *Store
	name   string
	n      int
	ttl    time.Duration
	holder runtime.Holder

	mu   sync.Mutex
	sess *concurrency.Session
	// held are the slots this process holds, by number.
	held map[int]bool
}

// Slots opens the semaphore name of n slots; a slot outlives its holder by
// at most ttl (rounded up to a second).
func (s *Store) Slots(name string, n int, ttl time.Duration, holder runtime.Holder) runtime.Slots {
	return &Slots{s: s, name: name, n: n, ttl: ttl, holder: holder, held: map[int]bool{}}
}

// session is the lease this process holds its slots under: a new one when
// the last was lost (its slots are then gone too).
func (sl *Slots) session() (*concurrency.Session, error) {
	if sl.sess != nil {
		select {
		case <-sl.sess.Done():
			sl.sess, sl.held = nil, map[int]bool{}
		default:
			return sl.sess, nil
		}
	}
	secs := max(int64((sl.ttl+time.Second-1)/time.Second), 1)
	var grant *clientv3.LeaseGrantResponse
	if err := sl.s.do(func(ctx context.Context) (err error) {
		grant, err = sl.s.cli.Grant(ctx, secs)
		return err
	}); err != nil {
		return nil, err
	}
	sess, err := concurrency.NewSession(sl.s.cli, concurrency.WithLease(grant.ID))
	if err != nil {
		return nil, err
	}
	sl.sess = sess
	return sess, nil
}

func (sl *Slots) key(k int) string { return sl.s.key("slots", sl.name, fmt.Sprint(k)) }

// workKey is where the work slot k was last taken for is kept: not under
// a lease, so that it outlives its holder.
func (sl *Slots) workKey(k int) string { return sl.s.key(".slots", sl.name, fmt.Sprint(k)) }

// TryAcquire takes a free slot without waiting: ok is false when all n are
// held, by a live holder or by the work a dead one kept that busy says is
// not over. work is kept in the slot taken. release frees it.
func (sl *Slots) TryAcquire(work []byte, busy func(slot int, kept []byte) bool) (release func(clearWork bool), ok bool, err error) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sess, err := sl.session()
	if err != nil {
		return nil, false, err
	}
	value, err := json.Marshal(sl.holder)
	if err != nil {
		return nil, false, err
	}
	lease := sess.Lease()
	for k := range sl.n {
		if sl.held[k] {
			continue
		}
		key, wkey := sl.key(k), sl.workKey(k)
		var resp *clientv3.TxnResponse
		err := sl.s.do(func(ctx context.Context) (err error) {
			resp, err = sl.s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, string(value), clientv3.WithLease(lease)), clientv3.OpGet(wkey)).
				Else(clientv3.OpGet(key), clientv3.OpGet(wkey)).
				Commit()
			return err
		})
		if err != nil {
			return nil, false, err
		}
		mine := resp.Succeeded
		if !mine {
			// A retried request whose first attempt created the key,
			// unanswered, finds it under this process's own lease.
			kvs := resp.Responses[0].GetResponseRange().Kvs
			mine = len(kvs) == 1 && clientv3.LeaseID(kvs[0].Lease) == lease
		}
		if !mine {
			continue
		}
		var kept []byte
		if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) == 1 {
			kept = kvs[0].Value
		}
		if kept != nil && busy != nil && busy(k, kept) {
			// The work a dead holder kept still holds the slot: given back.
			sl.free(k, lease, false)
			continue
		}
		// The slot's work is this process's before it does any.
		err = sl.s.do(func(ctx context.Context) (err error) {
			switch {
			case work != nil:
				_, err = sl.s.cli.Put(ctx, wkey, string(work))
			case kept != nil:
				_, err = sl.s.cli.Delete(ctx, wkey)
			}
			return err
		})
		if err != nil {
			sl.free(k, lease, false)
			return nil, false, err
		}
		sl.held[k] = true
		return func(clearWork bool) { sl.release(k, lease, clearWork) }, true, nil
	}
	return nil, false, nil
}

// release frees slot k if it is still held under lease, and with
// clearWork the work kept in it.
func (sl *Slots) release(k int, lease clientv3.LeaseID, clearWork bool) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	delete(sl.held, k)
	sl.free(k, lease, clearWork)
}

// free deletes slot k if it is still held under lease (and with clearWork
// the work kept in it, in the same transaction).
func (sl *Slots) free(k int, lease clientv3.LeaseID, clearWork bool) {
	key := sl.key(k)
	// Deleted only if it is still this lease's: once the lease expired,
	// the slot, and the work kept in it, may be another process's.
	_ = sl.s.do(func(ctx context.Context) error {
		resp, err := sl.s.cli.Get(ctx, key)
		if err != nil {
			return err
		}
		if len(resp.Kvs) != 1 || clientv3.LeaseID(resp.Kvs[0].Lease) != lease {
			return nil
		}
		ops := []clientv3.Op{clientv3.OpDelete(key)}
		if clearWork {
			ops = append(ops, clientv3.OpDelete(sl.workKey(k)))
		}
		_, err = sl.s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", resp.Kvs[0].ModRevision)).
			Then(ops...).
			Commit()
		return err
	})
}

// Kept returns the work kept in each slot, by number.
func (sl *Slots) Kept() (map[int][]byte, error) {
	var resp *clientv3.GetResponse
	if err := sl.s.do(func(ctx context.Context) (err error) {
		resp, err = sl.s.cli.Get(ctx, sl.s.key(".slots", sl.name)+"/", clientv3.WithPrefix())
		return err
	}); err != nil {
		return nil, err
	}
	out := map[int][]byte{}
	for _, kv := range resp.Kvs {
		if k, ok := slotNumber(kv.Key, sl.s.key(".slots", sl.name)); ok {
			out[k] = kv.Value
		}
	}
	return out, nil
}

// slotNumber is the number of the slot whose key is PREFIX/K.
func slotNumber(key []byte, prefix string) (int, bool) {
	k, err := strconv.Atoi(strings.TrimPrefix(string(key), prefix+"/"))
	return k, err == nil && k >= 0
}

// Holders returns who holds each held slot, by number.
func (sl *Slots) Holders() (map[int]runtime.Holder, error) {
	var resp *clientv3.GetResponse
	if err := sl.s.do(func(ctx context.Context) (err error) {
		resp, err = sl.s.cli.Get(ctx, sl.s.key("slots", sl.name)+"/", clientv3.WithPrefix())
		return err
	}); err != nil {
		return nil, err
	}
	out := map[int]runtime.Holder{}
	for _, kv := range resp.Kvs {
		k, ok := slotNumber(kv.Key, sl.s.key("slots", sl.name))
		if !ok {
			continue
		}
		var h runtime.Holder
		if json.Unmarshal(kv.Value, &h) == nil {
			out[k] = h
		}
	}
	return out, nil
}

// Close frees every slot this process holds at once (its lease revoked).
func (sl *Slots) Close() error {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.sess == nil {
		return nil
	}
	err := sl.sess.Close()
	sl.sess, sl.held = nil, map[int]bool{}
	return err
}

// heldSlots lists the slots this process holds, for tests.
func (sl *Slots) heldSlots() []int {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	var out []int
	for k := range sl.held {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
