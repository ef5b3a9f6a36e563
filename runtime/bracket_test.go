package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
)

// bracketStore hands out sessions that check the run's BeginOp and EndOp
// (runtime.OpBracket) against what it writes.
type bracketStore struct {
	*memStore
	sess *bracketSession
}

func (b *bracketStore) Lock(ctx context.Context, h runtime.Holder, opts runtime.LockOptions) (runtime.Session, error) {
	s, err := b.memStore.Lock(ctx, h, opts)
	if err != nil {
		return nil, err
	}
	b.sess = &bracketSession{Session: s}
	return b.sess, nil
}

type bracketSession struct {
	runtime.Session
	mu sync.Mutex
	// ops is how many operations are begun and not ended.
	ops int
	// intents, ends and effects count the operations' records and the
	// writes to a stream made while one is in flight.
	intents, ends, effects int
	bad                    []string
}

func (b *bracketSession) BeginOp() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ops++
}

func (b *bracketSession) EndOp() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ops--; b.ops < 0 {
		b.bad = append(b.bad, "EndOp without BeginOp")
	}
}

func (b *bracketSession) Append(entries ...[]byte) error {
	b.mu.Lock()
	for _, e := range entries {
		var rec struct {
			Type, Op string
		}
		if err := json.Unmarshal(e, &rec); err != nil {
			b.bad = append(b.bad, err.Error())
		}
		switch rec.Type {
		case runtime.RecordOp:
			b.intents++
		case runtime.RecordOpEnd:
			b.ends++
		default:
			continue
		}
		if b.ops != 1 {
			b.bad = append(b.bad, fmt.Sprintf("%s %s written with %d operations begun", rec.Type, rec.Op, b.ops))
		}
	}
	b.mu.Unlock()
	return b.Session.Append(entries...)
}

func (b *bracketSession) Stream(name string) (io.WriteCloser, error) {
	w, err := b.Session.Stream(name)
	return bracketStream{w, b}, err
}

type bracketStream struct {
	io.WriteCloser
	b *bracketSession
}

func (w bracketStream) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	if w.b.ops > 0 {
		w.b.effects++
	}
	w.b.mu.Unlock()
	return w.WriteCloser.Write(p)
}

// TestOpBracket: a run tells a session that holds writes back when an
// operation is in flight, from before its intent is journaled to after its
// outcome is, with the simulator's effect in between: what the session
// writes of its own accord then stops before the intent.
func TestOpBracket(t *testing.T) {
	store := &bracketStore{memStore: newMemStore()}
	c := seed()
	st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := sim.Open(st.Session(), c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	res := runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st,
		DriverName: "sim", Poll: 5 * time.Second})
	if err := sm.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	b := store.sess
	if len(b.bad) > 0 {
		t.Errorf("%q", b.bad)
	}
	if b.ops != 0 || b.intents == 0 || b.ends != b.intents || b.effects < b.intents {
		t.Errorf("%d operations left begun; %d intents, %d outcomes, %d writes of effects", b.ops, b.intents, b.ends, b.effects)
	}
}
