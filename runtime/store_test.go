package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
)

// memStore is a state store in memory whose lock is a lease that the test
// can make expire: the shape of a shared store (every write conditioned on
// still holding the lock). It implements runtime.Store with nothing but the
// contract, as a second kind of store would.
type memStore struct {
	mu      sync.Mutex
	journal [][]byte
	blobs   map[string][]byte
	holder  *runtime.Holder
	lease   int // the current lease; a session holding another has lost it
	// appends counts the journal's writes (one per Append, whatever its
	// number of entries).
	appends int
}

func newMemStore() *memStore { return &memStore{blobs: map[string][]byte{}} }

func (m *memStore) Where(name string) string { return "mem://test/" + name }

func (m *memStore) Lock(_ context.Context, h runtime.Holder, _ runtime.LockOptions) (runtime.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder != nil {
		prev := *m.holder
		return nil, &runtime.LockedError{Dir: m.Where(""), Holder: &prev}
	}
	m.holder = &h
	m.lease++
	return &memSession{m: m, lease: m.lease}, nil
}

func (m *memStore) Journal() ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.journal...), nil
}

func (m *memStore) Get(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", m.Where(name), fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

func (m *memStore) Put(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[name] = bytes.Clone(data)
	return nil
}

func (m *memStore) Holder() (*runtime.Holder, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.holder, nil
}

func (m *memStore) Unlock(force bool) (*runtime.UnlockResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := &runtime.UnlockResult{Holder: m.holder}
	if m.holder == nil {
		return res, nil
	}
	res.Held = true
	if !force {
		return res, runtime.ErrHolderAlive
	}
	m.holder, res.Cleared = nil, true
	m.lease++
	return res, nil
}

// expire ends the current lease, as a shared store does when its holder
// stops renewing it.
func (m *memStore) expire() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holder = nil
	m.lease++
}

type memSession struct {
	m     *memStore
	lease int
}

// held is called with m.mu held: every write is fenced by it.
func (s *memSession) held() error {
	if s.m.lease != s.lease {
		return fmt.Errorf("%s: %w", s.m.Where(""), runtime.ErrLockLost)
	}
	return nil
}

func (s *memSession) Where(name string) string   { return s.m.Where(name) }
func (s *memSession) Journal() ([][]byte, error) { return s.m.Journal() }
func (s *memSession) Get(name string) ([]byte, error) {
	return s.m.Get(name)
}

func (s *memSession) Append(entries ...[]byte) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if err := s.held(); err != nil {
		return err
	}
	for _, e := range entries {
		s.m.journal = append(s.m.journal, bytes.Clone(e))
	}
	s.m.appends++
	return nil
}

func (s *memSession) Put(name string, data []byte) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if err := s.held(); err != nil {
		return err
	}
	s.m.blobs[name] = bytes.Clone(data)
	return nil
}

func (s *memSession) Stream(name string) (io.WriteCloser, error) {
	return &memStream{s: s, name: name}, nil
}

func (s *memSession) Release() error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.held() == nil {
		s.m.holder = nil
		s.m.lease++
	}
	return nil
}

type memStream struct {
	s    *memSession
	name string
}

func (w *memStream) Write(p []byte) (int, error) {
	w.s.m.mu.Lock()
	defer w.s.m.mu.Unlock()
	if err := w.s.held(); err != nil {
		return 0, err
	}
	w.s.m.blobs[w.name] = append(w.s.m.blobs[w.name], p...)
	return len(p), nil
}

func (w *memStream) Close() error { return nil }

var _ runtime.Store = (*memStore)(nil)

// runOnStore runs the whole procedure against a simulator kept in store,
// under its lock; lose, if set, is called at each operation's intent with
// the number of operations so far.
func runOnStore(t *testing.T, store *memStore, lose func(ops int)) (*runtime.Result, map[string]int) {
	t.Helper()
	c := seed()
	st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sm, err := sim.Open(st.Session(), c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close() // before the lock is released
	ops := 0
	res := runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st,
		DriverName: "sim", Poll: 5 * time.Second,
		Crash: func(point string) {
			if point == "after journal write" {
				ops++
				if lose != nil {
					lose(ops)
				}
			}
		}})
	return res, sm.Upgrades()
}

// TestStoreContract: a run keeps everything through the store it is
// handed (journal, snapshot, the simulator's cluster), and one that resumes
// from it finds the run done.
func TestStoreContract(t *testing.T) {
	store := newMemStore()
	res, _ := runOnStore(t, store, nil)
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	recs, err := runtime.ReadJournal(store)
	if err != nil || !runtime.HasSteps(recs) {
		t.Fatalf("journal: %d records, %v", len(recs), err)
	}
	if _, err := runtime.ReadSnapshot(store); err != nil {
		t.Errorf("snapshot: %v", err)
	}
	if _, err := store.Get(sim.StateName); err != nil {
		t.Errorf("the simulator's cluster: %v", err)
	}
	if h, _ := store.Holder(); h != nil {
		t.Errorf("the lock is still held by %v after the run", h)
	}

	st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runtime.OpenState(store, runtime.CurrentHolder("second"), runtime.LockOptions{}); !errors.As(err, new(*runtime.LockedError)) {
		t.Errorf("a second lock: %v; want a LockedError", err)
	}
	if n := len(st.Records()); n != len(recs) {
		t.Errorf("the reopened state has %d records; want %d", n, len(recs))
	}
	st.Close()

	res, _ = runOnStore(t, store, nil)
	if res.Outcome != runtime.OutcomeCompleted || res.Done != 0 {
		t.Errorf("resumed: %s, %d steps done; want completed with none to do", res.Outcome, res.Done)
	}
}

// TestStoreLockLost: once the lease is lost, nothing more is written and
// the run stops with the error; no operation is issued that the journal
// does not announce.
func TestStoreLockLost(t *testing.T) {
	store := newMemStore()
	var at int
	res, upgrades := runOnStore(t, store, func(ops int) {
		if ops == 6 {
			store.expire()
			store.mu.Lock()
			at = len(store.journal)
			store.mu.Unlock()
		}
	})
	if res.Outcome != runtime.OutcomeError || !strings.Contains(res.Message, runtime.ErrLockLost.Error()) {
		t.Fatalf("outcome %s: %q; want an error saying the lock was lost", res.Outcome, res.Message)
	}
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != at {
		t.Errorf("the journal has %d records; the lease was lost at %d", len(recs), at)
	}
	announced := 0
	for _, r := range recs {
		if r.Type == runtime.RecordOp && strings.HasPrefix(r.Op, cluster.OpUpgrade) {
			announced++
		}
	}
	issued := 0
	for _, n := range upgrades {
		issued += n
	}
	if announced == 0 {
		t.Error("no upgrade was announced before the lease was lost")
	}
	if issued > announced {
		t.Errorf("%d upgrades issued, %d announced in the journal", issued, announced)
	}
}
