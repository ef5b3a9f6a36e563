package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
)

// callStore hands out sessions that record the calls made to them, in
// order, and may fail the journal's appends from one on.
type callStore struct {
	*memStore
	sess *callSession
	// failAt, if > 0, fails every journal entry from the failAt-th on.
	failAt int
	// lines: the sessions take the journal's entries as lines
	// (runtime.LineAppender).
	lines bool
	// gate, if set, is called with each journal entry before the
	// session takes it, and may hold it up.
	gate func(entry []byte)
	// later runs with Options.HandOverLater (runCallsOn).
	later bool
}

func (c *callStore) Lock(ctx context.Context, h runtime.Holder, opts runtime.LockOptions) (runtime.Session, error) {
	s, err := c.memStore.Lock(ctx, h, opts)
	if err != nil {
		return nil, err
	}
	c.sess = &callSession{Session: s, failAt: c.failAt, gate: c.gate}
	if c.lines {
		return lineSession{c.sess}, nil
	}
	return c.sess, nil
}

// lineSession is a callSession that takes the journal's entries encoded
// straight into a buffer of its own (runtime.LineAppender).
type lineSession struct {
	*callSession
}

func (s lineSession) AppendLines(f runtime.LineFiller) error {
	const kept = "held before\n"
	b, err := f.FillLines([]byte(kept))
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte(kept)) || (len(b) > len(kept) && b[len(b)-1] != '\n') {
		return fmt.Errorf("not lines after what the buffer held: %q", b)
	}
	var entries [][]byte
	if body := b[len(kept):]; len(body) > 0 {
		entries = bytes.Split(body[:len(body)-1], []byte("\n"))
	}
	return s.callSession.Append(entries...)
}

type callSession struct {
	runtime.Session
	failAt int
	gate   func(entry []byte)
	mu     sync.Mutex
	// calls are the calls made, journal entries one by one.
	calls   []string
	entries int
}

func (s *callSession) call(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *callSession) Append(entries ...[]byte) error {
	if s.gate != nil {
		for _, e := range entries {
			s.gate(e)
		}
	}
	s.mu.Lock()
	for _, e := range entries {
		if s.entries++; s.failAt > 0 && s.entries >= s.failAt {
			s.mu.Unlock()
			return errors.New("the disk is full")
		}
		s.calls = append(s.calls, "journal "+string(e))
	}
	s.mu.Unlock()
	return s.Session.Append(entries...)
}

func (s *callSession) Put(name string, data []byte) error {
	s.call("put " + name + " " + string(data))
	return s.Session.Put(name, data)
}

func (s *callSession) Stream(name string) (io.WriteCloser, error) {
	w, err := s.Session.Stream(name)
	return callStream{w, s, name}, err
}

func (s *callSession) BeginOp() { s.call("begin") }
func (s *callSession) EndOp()   { s.call("end") }
func (s *callSession) Flush() error {
	s.call("flush")
	return nil
}

func (s *callSession) Release() error {
	s.call("release")
	return s.Session.Release()
}

type callStream struct {
	io.WriteCloser
	s    *callSession
	name string
}

func (w callStream) Write(p []byte) (int, error) {
	w.s.call("stream " + w.name + " " + string(p))
	return w.WriteCloser.Write(p)
}

// runCalls runs the procedure of a cluster of n nodes on a simulator kept
// in the state's session, and returns the calls the session saw, the
// records the state kept and the run's result.
func runCalls(t *testing.T, n int, opts runtime.LockOptions, failAt int) ([]string, []runtime.Record, *runtime.Result, error) {
	t.Helper()
	return runCallsOn(t, n, opts, &callStore{memStore: newMemStore(), failAt: failAt})
}

// runCallsOn is runCalls with the store given.
func runCallsOn(t *testing.T, n int, opts runtime.LockOptions, store *callStore) ([]string, []runtime.Record, *runtime.Result, error) {
	t.Helper()
	c := large(n)
	st, err := runtime.OpenState(store, runtime.Holder{User: "u", Host: "h", PID: 1}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Every record and line that names N00001 has it hidden.
	st.Redact = func(s string) string { return strings.ReplaceAll(s, "N00001", "(sensitive)") }
	sm, err := sim.Open(st.Session(), c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	res := runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st,
		DriverName: "sim", Poll: 5 * time.Second, HandOverLater: store.later})
	sm.Close()
	recs := st.Records()
	err = st.Close()
	return store.sess.calls, recs, res, err
}

// TestBehindSameCalls: a state that holds writes back makes them on a
// goroutine of its own, and the session sees the same calls, in the same
// order, as from a state that makes each write at once: the journal's
// entries (the observations written as they come, not with the next
// record: the same entries in the same order), the simulator's stream,
// the operations' brackets, the blobs. The records kept are the same.
func TestBehindSameCalls(t *testing.T) {
	for _, n := range []int{3, 700} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			now, nowRecs, nowRes, _ := runCalls(t, n, runtime.LockOptions{}, 0)
			behind, behindRecs, behindRes, err := runCalls(t, n, runtime.LockOptions{WriteBehind: true}, 0)
			if err != nil {
				t.Fatal(err)
			}
			// A session that takes the entries as lines encoded into
			// its buffer sees the same.
			lines, linesRecs, _, err := runCallsOn(t, n, runtime.LockOptions{WriteBehind: true}, &callStore{memStore: newMemStore(), lines: true})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(now, lines); d != "" {
				t.Errorf("calls (-at once +behind, as lines):\n%s", d)
			}
			if d := cmp.Diff(nowRecs, linesRecs); d != "" {
				t.Errorf("records (-at once +behind, as lines):\n%s", d)
			}
			if nowRes.Outcome != runtime.OutcomeCompleted || behindRes.Outcome != runtime.OutcomeCompleted {
				t.Fatalf("outcomes %s, %s", nowRes.Outcome, behindRes.Outcome)
			}
			if !slices.ContainsFunc(now, func(c string) bool { return strings.Contains(c, "(sensitive)") }) {
				t.Fatal("nothing hidden")
			}
			if d := cmp.Diff(now, behind); d != "" {
				t.Errorf("calls (-at once +behind):\n%s", d)
			}
			if d := cmp.Diff(nowRecs, behindRecs); d != "" {
				t.Errorf("records (-at once +behind):\n%s", d)
			}
		})
	}
}

// TestHandOverLater: a run with Options.HandOverLater returns without
// waiting for the state's writer to make its last writes; the session sees
// the same calls, in the same order, as from a run that waits for them,
// and the store sees them all once the state hands them over.
func TestHandOverLater(t *testing.T) {
	for _, n := range []int{3, 700} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			now, nowRecs, nowRes, _ := runCalls(t, n, runtime.LockOptions{WriteBehind: true}, 0)
			later, laterRecs, laterRes, err := runCallsOn(t, n, runtime.LockOptions{WriteBehind: true}, &callStore{memStore: newMemStore(), later: true})
			if err != nil {
				t.Fatal(err)
			}
			if nowRes.Outcome != runtime.OutcomeCompleted || laterRes.Outcome != runtime.OutcomeCompleted {
				t.Fatalf("outcomes %s, %s", nowRes.Outcome, laterRes.Outcome)
			}
			if d := cmp.Diff(now, later); d != "" {
				t.Errorf("calls (-waited for +later):\n%s", d)
			}
			if d := cmp.Diff(nowRecs, laterRecs); d != "" {
				t.Errorf("records (-waited for +later):\n%s", d)
			}
		})
	}

	// The journal's last entry, the run's end, is held up until the run
	// returned.
	at, open := make(chan struct{}), make(chan struct{})
	store := &callStore{memStore: newMemStore(), gate: func(e []byte) {
		if bytes.Contains(e, []byte(`"type":"end"`)) {
			close(at)
			<-open
		}
	}}
	st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	c := seed()
	sm, err := sim.Open(st.Session(), c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan *runtime.Result)
	go func() {
		ran <- runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st,
			DriverName: "sim", Poll: 5 * time.Second, HandOverLater: true})
	}()
	<-at
	if res := <-ran; res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("%s: %s", res.Outcome, res.Message)
	}
	ends := func() int {
		recs, err := runtime.ReadJournal(store)
		if err != nil {
			t.Fatal(err)
		}
		return len(slices.DeleteFunc(recs, func(r runtime.Record) bool { return r.Type != runtime.RecordEnd }))
	}
	if n := ends(); n != 0 {
		t.Fatalf("the store has %d end records while the writer holds the end", n)
	}
	close(open)
	if err := st.HandOver(); err != nil {
		t.Fatal(err)
	}
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(st.Records()) || recs[len(recs)-1].Type != runtime.RecordEnd {
		t.Errorf("%d records in the store, %d kept; the last %+v", len(recs), len(st.Records()), recs[len(recs)-1])
	}
	if err := sm.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBehindFails: a journal write that fails on the writer's goroutine
// fails a later write of the run, which then ends in error, or (when the
// run made no write after the writer met it) the state's close; nothing
// is written after it, and what was written before it is what a state
// writing at once writes.
func TestBehindFails(t *testing.T) {
	all, _, _, _ := runCalls(t, 50, runtime.LockOptions{}, 0)
	entries := 0
	for _, c := range all {
		if strings.HasPrefix(c, "journal ") {
			entries++
		}
	}
	// Not among the last: the end record's write is not checked.
	for _, failAt := range []int{1, 2, 40, entries / 2, entries - 20} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			calls, _, res, err := runCalls(t, 50, runtime.LockOptions{WriteBehind: true}, failAt)
			if (res.Outcome != runtime.OutcomeError || !strings.Contains(res.Message, "the disk is full")) &&
				(err == nil || !strings.Contains(err.Error(), "the disk is full")) {
				t.Errorf("outcome %s: %s; closed: %v", res.Outcome, res.Message, err)
			}
			journal := 0
			for i, c := range calls {
				if c == "release" || strings.HasPrefix(c, "put ") {
					continue // the simulator's state, written at its close
				}
				if i >= len(all) || c != all[i] {
					t.Fatalf("call %d %q, not as at once: %q", i, c, all[min(i, len(all)-1)])
				}
				if strings.HasPrefix(c, "journal ") {
					journal++
				}
			}
			if journal != failAt-1 {
				t.Errorf("%d entries written, want the %d before the failure", journal, failAt-1)
			}
		})
	}
}

// TestBehindReads: what a state holding writes back queued is read back
// through its session, and through its store once the run ended.
func TestBehindReads(t *testing.T) {
	store := newMemStore()
	st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(runtime.Record{Type: runtime.RecordStep, Address: "a", Status: runtime.StatusStarted}); err != nil {
		t.Fatal(err)
	}
	w, err := st.Session().Stream("log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("line\n")); err != nil {
		t.Fatal(err)
	}
	entries, err := st.Session().Journal()
	if err != nil || len(entries) != 1 || !strings.Contains(string(entries[0]), `"address":"a"`) {
		t.Fatalf("journal %q, %v", entries, err)
	}
	if b, err := st.Session().Get("log"); err != nil || string(b) != "line\n" {
		t.Fatalf("log %q, %v", b, err)
	}
	st.Close()

	store = newMemStore()
	st, err = runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	c := seed()
	sm := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	res := runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st, DriverName: "sim", Poll: 5 * time.Second})
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("%s: %s", res.Outcome, res.Message)
	}
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(st.Records()) || recs[len(recs)-1].Type != runtime.RecordEnd {
		t.Errorf("%d records in the store, %d kept; the last %+v", len(recs), len(st.Records()), recs[len(recs)-1])
	}
	st.Close()
}
