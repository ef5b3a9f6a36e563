package etcd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/runbookhq/runbook/runtime"
)

// ErrLockLost is wrapped by a session's writes once its lock is lost.
var ErrLockLost = runtime.ErrLockLost

// LostError says why a session's writes are refused: its lease expired (the
// run was paused or cut off from etcd for longer than its TTL), and whether
// another run holds the lock now.
type LostError struct {
	Where string
	// Now is the lock's holder now, nil if nobody holds it.
	Now *runtime.Holder
}

func (e *LostError) Error() string {
	msg := fmt.Sprintf("lost the lock of %s: its lease expired while this run was paused or cut off from etcd", e.Where)
	if e.Now != nil {
		return msg + "; " + e.Now.String() + " holds it now"
	}
	return msg
}

func (e *LostError) Unwrap() error { return ErrLockLost }

// Session is a run's hold on the lock, and its writes.
type Session struct {
	s      *Store
	lease  clientv3.LeaseID
	rev    int64 // the lock key's create revision: the fencing token
	cancel context.CancelFunc
	kept   chan struct{} // closed when the keep-alive stops

	mu      sync.Mutex
	next    int64            // the journal key of the next Append
	streams map[string]int64 // the next key of each stream
	pending map[string][]byte
	failed  error // the first failed write: nothing is written after it
}

// Lock takes the lock for holder under a lease of opts.TTL
// (runtime.DefaultLockTTL if 0; in whole seconds), kept alive until
// Release, waiting at most opts.Wait for another run's lock to be released
// or to expire; a *runtime.LockedError if it cannot.
func (s *Store) Lock(ctx context.Context, holder runtime.Holder, opts runtime.LockOptions) (runtime.Session, error) {
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = runtime.DefaultLockTTL
	}
	secs := int64(math.Ceil(ttl.Seconds()))
	var grant *clientv3.LeaseGrantResponse
	if err := s.do(func(ctx context.Context) (err error) {
		grant, err = s.cli.Grant(ctx, secs)
		return err
	}); err != nil {
		return nil, err
	}
	lease := grant.ID
	// The lease is kept alive from now on: while the run waits for another
	// run's lock too.
	kctx, stop := context.WithCancel(context.Background())
	ch, err := s.cli.KeepAlive(kctx, lease)
	if err != nil {
		stop()
		return nil, err
	}
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		for range ch {
		}
	}()
	revoke := func() {
		stop()
		<-kept
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.OpTimeout)
		defer cancel()
		s.cli.Revoke(ctx, lease)
	}
	val, err := json.Marshal(holder)
	if err != nil {
		return nil, err
	}
	lockKey := s.key("lock")
	deadline := time.Now().Add(opts.Wait)
	var told time.Duration = -1
	for {
		var rev int64
		var other *runtime.Holder
		var otherLease clientv3.LeaseID
		err := s.do(func(ctx context.Context) error {
			resp, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(lockKey), "=", 0)).
				Then(clientv3.OpPut(lockKey, string(val), clientv3.WithLease(lease))).
				Else(clientv3.OpGet(lockKey)).Commit()
			if err != nil {
				return err
			}
			if resp.Succeeded {
				rev = resp.Header.Revision
				return nil
			}
			kvs := resp.Responses[0].GetResponseRange().Kvs
			if len(kvs) == 0 {
				return errors.New("the lock key vanished") // retried
			}
			if clientv3.LeaseID(kvs[0].Lease) == lease {
				rev = kvs[0].CreateRevision // a retry of our own write
				return nil
			}
			other, otherLease = &runtime.Holder{}, clientv3.LeaseID(kvs[0].Lease)
			if json.Unmarshal(kvs[0].Value, other) != nil {
				other = nil
			}
			return nil
		})
		if err != nil {
			revoke()
			return nil, err
		}
		if rev != 0 {
			next, err := s.lastSeq("journal")
			if err != nil {
				revoke()
				return nil, err
			}
			return &Session{s: s, lease: lease, rev: rev, cancel: stop, kept: kept, next: next + 1,
				streams: map[string]int64{}, pending: map[string][]byte{}}, nil
		}
		left, err := s.leaseLeft(otherLease)
		if err != nil {
			revoke()
			return nil, err
		}
		if !time.Now().Before(deadline) {
			revoke()
			return nil, &runtime.LockedError{Dir: s.Where(""), Holder: other}
		}
		// Said when the wait starts, then every 5s of the lease's time.
		if opts.Waiting != nil && (told < 0 || left <= told-5*time.Second) {
			opts.Waiting(other, left)
			told = left
		}
		// Wait for the lock key to go (released, or its lease expired), or
		// a second, to look again.
		wctx, cancel := context.WithTimeout(ctx, min(time.Second, time.Until(deadline)))
		for range s.cli.Watch(wctx, lockKey, clientv3.WithFilterPut()) {
			cancel()
		}
		cancel()
		if ctx.Err() != nil {
			revoke()
			return nil, ctx.Err()
		}
	}
}

// Where names the store or one of its blobs or streams.
func (ss *Session) Where(name string) string { return ss.s.Where(name) }

// Journal returns the journal's entries.
func (ss *Session) Journal() ([][]byte, error) { return ss.s.Journal() }

// Get returns a blob or a stream's writes.
func (ss *Session) Get(name string) ([]byte, error) {
	if err := ss.Flush(); err != nil {
		return nil, err
	}
	return ss.s.Get(name)
}

func (ss *Session) fence() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(ss.s.key("lock")), "=", ss.rev)
}

// lost says why a fenced write was refused.
func (ss *Session) lost() error {
	h, _ := ss.s.Holder()
	return &LostError{Where: ss.s.Where(""), Now: h}
}

// fail records the session's first failed write.
func (ss *Session) fail(err error) error {
	var lost *LostError
	if errors.Is(err, errFenced) {
		err = ss.lost()
	} else if !errors.As(err, &lost) {
		err = fmt.Errorf("writing the state in %s: %w", ss.s.Where(""), err)
	}
	if ss.failed == nil {
		ss.failed = err
	}
	return err
}

// Append adds entries to the journal in one transaction, with what the
// streams were written since the last one.
func (ss *Session) Append(entries ...[]byte) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.failed != nil {
		return ss.failed
	}
	var val bytes.Buffer
	for _, e := range entries {
		if bytes.IndexByte(e, '\n') >= 0 {
			return errors.New("a journal entry may not hold a line break")
		}
		val.Write(e)
		val.WriteByte('\n')
	}
	if val.Len()+ss.pendingLen() > chunkSize/2 {
		if err := ss.flushLocked(); err != nil {
			return err
		}
	}
	key := ss.s.seqKey("journal", ss.next)
	ops := append([]clientv3.Op{clientv3.OpPut(key, val.String())}, ss.pendingOps()...)
	err := ss.s.do(func(ctx context.Context) error {
		resp, err := ss.s.cli.Txn(ctx).
			If(ss.fence(), clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(ops...).
			Else(clientv3.OpGet(key)).Commit()
		if err != nil {
			return err
		}
		if resp.Succeeded {
			return nil
		}
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 && bytes.Equal(kvs[0].Value, val.Bytes()) {
			return nil // a retry found its own write
		}
		return errFenced
	})
	if err != nil {
		return ss.fail(err)
	}
	ss.next++
	ss.pendingDone()
	return nil
}

func (ss *Session) pendingLen() int {
	n := 0
	for _, b := range ss.pending {
		n += len(b)
	}
	return n
}

func (ss *Session) pendingOps() []clientv3.Op {
	var ops []clientv3.Op
	for name, b := range ss.pending {
		ops = append(ops, clientv3.OpPut(ss.s.seqKey("stream/"+name, ss.streams[name]), string(b)))
	}
	return ops
}

func (ss *Session) pendingDone() {
	for name := range ss.pending {
		ss.streams[name]++
		delete(ss.pending, name)
	}
}

// Flush writes what the streams were written since the last write.
func (ss *Session) Flush() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.failed != nil {
		return ss.failed
	}
	return ss.flushLocked()
}

func (ss *Session) flushLocked() error {
	if len(ss.pending) == 0 {
		return nil
	}
	if err := ss.s.fenced(ss.fence(), ss.pendingOps()...); err != nil {
		return ss.fail(err)
	}
	ss.pendingDone()
	return nil
}

// Put replaces a blob at once, while the lock is held.
func (ss *Session) Put(name string, data []byte) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.failed != nil {
		return ss.failed
	}
	if err := ss.s.putBlob(name, data, ss.fence()); err != nil {
		return ss.fail(err)
	}
	return nil
}

// streamFlush is how much a stream holds before it is written on its own;
// less waits for the next journal write (or Flush, or Close).
const streamFlush = 64 << 10

type stream struct {
	ss   *Session
	name string
}

// Stream opens a stream for appending. Its writes are kept until the next
// journal write, which carries them in its transaction, or until they reach
// 64 KiB: the output of a step is written with the step's record.
func (ss *Session) Stream(name string) (io.WriteCloser, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := ss.streams[name]; !ok {
		last, err := ss.s.lastSeq("stream/" + name)
		if err != nil {
			return nil, err
		}
		ss.streams[name] = last + 1
	}
	return &stream{ss: ss, name: name}, nil
}

func (w *stream) Write(p []byte) (int, error) {
	ss := w.ss
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.failed != nil {
		return 0, ss.failed
	}
	for rest := p; len(rest) > 0; {
		n := min(len(rest), streamFlush)
		ss.pending[w.name] = append(ss.pending[w.name], rest[:n]...)
		rest = rest[n:]
		if len(ss.pending[w.name]) >= streamFlush {
			if err := ss.flushLocked(); err != nil {
				return len(p) - len(rest) - n, err
			}
		}
	}
	return len(p), nil
}

func (w *stream) Close() error { return w.ss.Flush() }

// releaseTimeout bounds the revocation of a lease at the end of a run.
const releaseTimeout = 3 * time.Second

// Release writes what the streams hold, stops renewing the lease and
// revokes it, which removes the lock.
func (ss *Session) Release() error {
	err := ss.Flush()
	ss.cancel()
	<-ss.kept
	// Best effort, and short: a lease not revoked expires by itself.
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if _, rerr := ss.s.cli.Revoke(ctx, ss.lease); rerr != nil && err == nil && !strings.Contains(rerr.Error(), "lease not found") {
		err = &Unreachable{Endpoints: ss.s.cfg.Endpoints, Err: rerr}
	}
	return err
}
