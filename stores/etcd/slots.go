package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
// when the lease expires, and its slots are free for the others.
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

// TryAcquire takes a free slot without waiting: ok is false when all n are
// held. release frees it.
func (sl *Slots) TryAcquire() (release func(), ok bool, err error) {
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
	for k := range sl.n {
		if sl.held[k] {
			continue
		}
		key := sl.key(k)
		var resp *clientv3.TxnResponse
		err := sl.s.do(func(ctx context.Context) (err error) {
			resp, err = sl.s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, string(value), clientv3.WithLease(sess.Lease()))).
				Else(clientv3.OpGet(key)).
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
			mine = len(kvs) == 1 && clientv3.LeaseID(kvs[0].Lease) == sess.Lease()
		}
		if !mine {
			continue
		}
		sl.held[k] = true
		lease := sess.Lease()
		return func() { sl.release(k, lease) }, true, nil
	}
	return nil, false, nil
}

// release frees slot k if it is still held under lease.
func (sl *Slots) release(k int, lease clientv3.LeaseID) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	delete(sl.held, k)
	key := sl.key(k)
	// Deleted only if it is still this lease's: once the lease expired,
	// the slot may be another process's.
	_ = sl.s.do(func(ctx context.Context) error {
		resp, err := sl.s.cli.Get(ctx, key)
		if err != nil {
			return err
		}
		if len(resp.Kvs) != 1 || clientv3.LeaseID(resp.Kvs[0].Lease) != lease {
			return nil
		}
		_, err = sl.s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", resp.Kvs[0].ModRevision)).
			Then(clientv3.OpDelete(key)).
			Commit()
		return err
	})
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
		var k int
		if _, err := fmt.Sscanf(string(kv.Key[len(sl.s.key("slots", sl.name))+1:]), "%d", &k); err != nil {
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
