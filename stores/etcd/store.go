package etcd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/runbookhq/runbook/runtime"
)

// Defaults of a connection.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultOpTimeout   = 10 * time.Second
)

// attemptTimeout bounds one attempt of a request.
const attemptTimeout = 2 * time.Second

// chunkSize is the largest value written in one key: etcd refuses a request
// over 1.5 MiB by default.
const chunkSize = 1 << 20

var (
	_ runtime.Store   = (*Store)(nil)
	_ runtime.Session = (*Session)(nil)
)

// Store is an etcd store.
type Store struct {
	cfg *Config
	cli *clientv3.Client
	// down is set once a request found etcd unreachable: later requests
	// get one attempt's time, so that a run that stops for it stops soon.
	down atomic.Bool
}

// Open connects to the store ref names (ParseRef); it does not wait for
// etcd to answer: the first request does, at most OpTimeout.
func Open(ref string, env func(string) string) (*Store, error) {
	cfg, err := ParseRef(ref, env)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// New connects to the store cfg describes.
func New(cfg *Config) (*Store, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	tc, err := cfg.tls()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Endpoints,
		DialTimeout:          cfg.DialTimeout,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		TLS:                  tc,
		Username:             cfg.User,
		Password:             cfg.Password,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		if !retryable(err) {
			return nil, fmt.Errorf("etcd at %s refused the connection: %w (the user is %s's, the password %s's)", strings.Join(cfg.Endpoints, ","), err, EnvUser, EnvPassword)
		}
		return nil, &Unreachable{Endpoints: cfg.Endpoints, Err: err}
	}
	return &Store{cfg: cfg, cli: cli}, nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.cli.Close() }

// Unreachable is the error of a request etcd did not answer in time (or
// answered that it has no quorum): it names the endpoints tried.
type Unreachable struct {
	Endpoints []string
	Err       error
}

func (e *Unreachable) Error() string {
	return fmt.Sprintf("etcd at %s did not answer: %v", strings.Join(e.Endpoints, ","), e.Err)
}

func (e *Unreachable) Unwrap() error { return e.Err }

func (s *Store) key(parts ...string) string {
	return s.cfg.Prefix + "/" + strings.Join(parts, "/")
}

// seqKey is a key whose order is its number's.
func (s *Store) seqKey(kind string, n int64) string {
	return s.key(kind, fmt.Sprintf("%020d", n))
}

// Where names the store, or one of its blobs or streams.
func (s *Store) Where(name string) string {
	where := Scheme + "://" + strings.Join(s.cfg.Endpoints, ",") + s.cfg.Prefix
	if name == "" {
		return where
	}
	return where + "/" + name
}

// do runs one request with the request timeout, retrying what a leader
// change or a lost connection fails (the caller's request must be safe to
// retry); an error past the timeout is an *Unreachable.
func (s *Store) do(f func(ctx context.Context) error) error {
	timeout := s.cfg.OpTimeout
	if s.down.Load() {
		timeout = attemptTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	for {
		// Each attempt has a part of the time, so that one sent to a
		// member that died leaves time to send it to another.
		actx, acancel := context.WithTimeout(ctx, attemptTimeout)
		err = f(actx)
		acancel()
		if err == nil {
			s.down.Store(false)
			return nil
		}
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			s.down.Store(true)
			return &Unreachable{Endpoints: s.cfg.Endpoints, Err: err}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// retryable reports whether err may pass (a leader change, a member gone,
// no quorum yet, a timeout of one attempt); an authentication or a
// permission error does not.
func retryable(err error) bool {
	var lost *LostError
	if errors.Is(err, errFenced) || errors.As(err, &lost) {
		return false
	}
	msg := err.Error()
	for _, final := range []string{"authentication failed", "permission denied", "user name is empty", "invalid auth token", "request is too large", "too many operations", "lease not found"} {
		if strings.Contains(msg, final) {
			return false
		}
	}
	return true
}

// Journal returns the journal's entries, oldest first.
func (s *Store) Journal() ([][]byte, error) {
	var resp *clientv3.GetResponse
	err := s.do(func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, s.key("journal")+"/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
		return err
	})
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, kv := range resp.Kvs {
		out = append(out, splitEntries(kv.Value)...)
	}
	return out, nil
}

func splitEntries(v []byte) [][]byte {
	var out [][]byte
	for line := range bytes.SplitSeq(v, []byte{'\n'}) {
		if len(line) > 0 {
			out = append(out, bytes.Clone(line))
		}
	}
	return out
}

// lastSeq is the number of the last key of kind (0 when there is none).
func (s *Store) lastSeq(kind string) (int64, error) {
	var resp *clientv3.GetResponse
	err := s.do(func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, s.key(kind)+"/", clientv3.WithPrefix(), clientv3.WithKeysOnly(),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(1))
		return err
	})
	if err != nil || len(resp.Kvs) == 0 {
		return 0, err
	}
	k := string(resp.Kvs[0].Key)
	n, err := strconv.ParseInt(k[strings.LastIndexByte(k, '/')+1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcd key %s: not a sequence number", k)
	}
	return n, nil
}

// blobRef is the value of a blob's key: its generation and chunk count.
type blobRef struct {
	Gen    int64 `json:"gen"`
	Chunks int   `json:"chunks"`
}

// Get returns a blob, or a stream's writes joined; an error wrapping
// fs.ErrNotExist if neither is there.
func (s *Store) Get(name string) ([]byte, error) {
	var ref, chunks, stream *clientv3.GetResponse
	err := s.do(func(ctx context.Context) error {
		// One revision for all three reads: the chunks are those of the
		// generation the blob's key names.
		var err error
		ref, err = s.cli.Get(ctx, s.key("blob", name))
		if err != nil {
			return err
		}
		rev := clientv3.WithRev(ref.Header.Revision)
		if len(ref.Kvs) == 0 {
			stream, err = s.cli.Get(ctx, s.key("stream", name)+"/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend), rev)
			return err
		}
		var r blobRef
		if err := json.Unmarshal(ref.Kvs[0].Value, &r); err != nil {
			return fmt.Errorf("etcd key %s: %w", s.key("blob", name), err)
		}
		chunks, err = s.cli.Get(ctx, s.chunkPrefix(name, r.Gen), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend), rev)
		if err == nil && len(chunks.Kvs) != r.Chunks {
			return fmt.Errorf("etcd key %s: %d chunks of %d", s.key("blob", name), len(chunks.Kvs), r.Chunks)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	switch {
	case chunks != nil:
		for _, kv := range chunks.Kvs {
			buf.Write(kv.Value)
		}
	case stream != nil && len(stream.Kvs) > 0:
		for _, kv := range stream.Kvs {
			buf.Write(kv.Value)
		}
	default:
		return nil, fmt.Errorf("%s: %w", s.Where(name), fs.ErrNotExist)
	}
	return buf.Bytes(), nil
}

func (s *Store) chunkPrefix(name string, gen int64) string {
	return s.key("chunk", name, strconv.FormatInt(gen, 10)) + "/"
}

// Holder returns who holds the lock; nil if nobody does.
func (s *Store) Holder() (*runtime.Holder, error) {
	h, _, err := s.holder()
	return h, err
}

// holder returns the lock's holder and its lease.
func (s *Store) holder() (*runtime.Holder, clientv3.LeaseID, error) {
	var resp *clientv3.GetResponse
	err := s.do(func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, s.key("lock"))
		return err
	})
	if err != nil || len(resp.Kvs) == 0 {
		return nil, 0, err
	}
	var h runtime.Holder
	if err := json.Unmarshal(resp.Kvs[0].Value, &h); err != nil {
		return nil, clientv3.LeaseID(resp.Kvs[0].Lease), fmt.Errorf("etcd key %s: %w", s.key("lock"), err)
	}
	return &h, clientv3.LeaseID(resp.Kvs[0].Lease), nil
}

// leaseLeft is how long the lease has before it expires unless renewed.
func (s *Store) leaseLeft(id clientv3.LeaseID) (time.Duration, error) {
	var resp *clientv3.LeaseTimeToLiveResponse
	err := s.do(func(ctx context.Context) (err error) {
		resp, err = s.cli.TimeToLive(ctx, id)
		return err
	})
	if err != nil && strings.Contains(err.Error(), "lease not found") {
		return 0, nil // expired a moment ago
	}
	if err != nil {
		return 0, err
	}
	if resp.TTL < 0 {
		return 0, nil
	}
	return time.Duration(resp.TTL) * time.Second, nil
}

// Unlock clears the lock of a run that stopped: with force, it revokes the
// holder's lease, which removes the lock at once (a holder still running
// is then fenced off: its next write fails). Without force it refuses
// while a lease holds the lock, since this machine cannot tell whether its
// holder runs: the lease of a dead holder expires by itself within its TTL.
func (s *Store) Unlock(force bool) (*runtime.UnlockResult, error) {
	h, lease, err := s.holder()
	if err != nil {
		return nil, err
	}
	res := &runtime.UnlockResult{Holder: h}
	if h == nil && lease == 0 {
		return res, nil
	}
	res.Held = true
	if !force {
		left, err := s.leaseLeft(lease)
		if err != nil {
			return res, err
		}
		return res, fmt.Errorf("its lease expires in %s unless the holder renews it: %w", left, runtime.ErrHolderAlive)
	}
	err = s.do(func(ctx context.Context) error {
		_, err := s.cli.Revoke(ctx, lease)
		if err != nil && strings.Contains(err.Error(), "requested lease not found") {
			return nil
		}
		return err
	})
	if err != nil {
		return res, err
	}
	res.Cleared = true
	return res, nil
}

// Put replaces a blob outside a run (a report made without one): it is
// written only while no run holds the lock.
func (s *Store) Put(name string, data []byte) error {
	return s.putBlob(name, data, clientv3.Compare(clientv3.CreateRevision(s.key("lock")), "=", 0))
}

// putBlob writes the chunks of a new generation, then points the blob at
// it and deletes the old generation in one transaction; each write only
// if fence holds.
func (s *Store) putBlob(name string, data []byte, fence clientv3.Cmp) error {
	gen := time.Now().UnixNano()
	n := 0
	for off := 0; off == 0 || off < len(data); off += chunkSize {
		chunk := data[off:min(off+chunkSize, len(data))]
		key := s.chunkPrefix(name, gen) + fmt.Sprintf("%06d", n)
		if err := s.fenced(fence, clientv3.OpPut(key, string(chunk))); err != nil {
			return err
		}
		n++
	}
	ref, _ := json.Marshal(blobRef{Gen: gen, Chunks: n})
	var old *clientv3.GetResponse
	err := s.do(func(ctx context.Context) (err error) {
		old, err = s.cli.Get(ctx, s.key("blob", name))
		return err
	})
	if err != nil {
		return err
	}
	ops := []clientv3.Op{clientv3.OpPut(s.key("blob", name), string(ref))}
	if len(old.Kvs) > 0 {
		var r blobRef
		if json.Unmarshal(old.Kvs[0].Value, &r) == nil && r.Gen != gen {
			ops = append(ops, clientv3.OpDelete(s.chunkPrefix(name, r.Gen), clientv3.WithPrefix()))
		}
	}
	return s.fenced(fence, ops...)
}

// errFenced is what a write whose fence failed returns before the caller
// says why.
var errFenced = errors.New("fenced")

// fenced runs ops in one transaction if fence holds; errFenced if not.
// The ops are puts of fixed values and deletes: retrying them is safe.
func (s *Store) fenced(fence clientv3.Cmp, ops ...clientv3.Op) error {
	return s.do(func(ctx context.Context) error {
		resp, err := s.cli.Txn(ctx).If(fence).Then(ops...).Commit()
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			return errFenced
		}
		return nil
	})
}

// Opener opens etcd stores for the registry of stores, with the
// connection's settings from env (os.Getenv).
func Opener(env func(string) string) runtime.StoreOpener {
	return func(ref string) (runtime.Store, error) {
		s, err := Open(ref, env)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}
