package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/runbookhq/runbook/runtime"
)

var _ runtime.FailureStore = (*Store)(nil)

// Failures are a fleet's failures in etcd, shared by its runners: the failure
// of cluster NAME is the key PREFIX/.fleet/failed/NAME, created once by a
// transaction that succeeds only while it does not exist. Each runner is the
// key PREFIX/.fleet/runners/LEASE under a lease of its own, kept alive while
// it lives; a runner that joins when no other is left (every lease gone)
// starts a new window: the failures of the last one are deleted in the same
// transaction that adds it.
type Failures struct {
	s    *Store
	sess *concurrency.Session
}

// Failures joins the fleet's window; a runner that died leaves it when its
// lease (ttl, rounded up to a second) expires.
func (s *Store) Failures(ttl time.Duration, holder runtime.Holder) (runtime.Failures, error) {
	value, err := json.Marshal(holder)
	if err != nil {
		return nil, err
	}
	secs := max(int64((ttl+time.Second-1)/time.Second), 1)
	var grant *clientv3.LeaseGrantResponse
	if err := s.do(func(ctx context.Context) (err error) {
		grant, err = s.cli.Grant(ctx, secs)
		return err
	}); err != nil {
		return nil, err
	}
	sess, err := concurrency.NewSession(s.cli, concurrency.WithLease(grant.ID))
	if err != nil {
		return nil, err
	}
	runners := s.key(".fleet", "runners") + "/"
	me := runners + fmt.Sprintf("%x", int64(sess.Lease()))
	join := clientv3.OpPut(me, string(value), clientv3.WithLease(sess.Lease()))
	if err := s.do(func(ctx context.Context) error {
		_, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(runners), "=", 0).WithPrefix()).
			Then(clientv3.OpDelete(s.key(".fleet", "failed")+"/", clientv3.WithPrefix()), join).
			Else(join).
			Commit()
		return err
	}); err != nil {
		sess.Close()
		return nil, err
	}
	return &Failures{s: s, sess: sess}, nil
}

func (f *Failures) key(cluster string) string {
	return f.s.key(".fleet", "failed", url.PathEscape(cluster))
}

// Record records cluster's failure once.
func (f *Failures) Record(cluster string) error {
	key := f.key(cluster)
	return f.s.do(func(ctx context.Context) error {
		_, err := f.s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, time.Now().UTC().Format(time.RFC3339))).
			Commit()
		return err
	})
}

// Recorded reports whether cluster's failure is recorded.
func (f *Failures) Recorded(cluster string) (bool, error) {
	var resp *clientv3.GetResponse
	err := f.s.do(func(ctx context.Context) (err error) {
		resp, err = f.s.cli.Get(ctx, f.key(cluster), clientv3.WithCountOnly())
		return err
	})
	return err == nil && resp.Count > 0, err
}

// Count is how many failures are recorded.
func (f *Failures) Count() (int, error) {
	var resp *clientv3.GetResponse
	err := f.s.do(func(ctx context.Context) (err error) {
		resp, err = f.s.cli.Get(ctx, f.s.key(".fleet", "failed")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(resp.Count), nil
}

// Close leaves the window (the runner's lease revoked).
func (f *Failures) Close() error { return f.sess.Close() }
