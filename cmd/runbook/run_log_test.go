package main

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to write from the output queue's
// goroutine and read from the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunOutputsFlushEndsBatch: the end of a run does not wait for the
// writes of a batch to gather. With a batch far longer than the flush's own
// limit, the flush ends the batch at once, and its writes reach the streams
// before it returns (were it to wait, it would give up after
// outputFlushLimit with the streams still empty).
func TestRunOutputsFlushEndsBatch(t *testing.T) {
	var stdout, stderr lockedBuffer
	out, errOut, flush := newRunOutputsBatch(&stdout, &stderr, time.Hour)
	out.Write([]byte("22:00:00 one\n"))
	// Let the queue's goroutine take the wake-up and start the batch.
	for len(out.q.wake) > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	errOut.Write([]byte("a warning\n"))
	out.Write([]byte("22:00:01 two\n"))
	flush()
	if got, want := stdout.String(), "22:00:00 one\n22:00:01 two\n"; got != want {
		t.Errorf("stdout after flush = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "a warning\n"; got != want {
		t.Errorf("stderr after flush = %q, want %q", got, want)
	}
	// Once flushed, a write reaches run.log only, and a second flush
	// returns at once.
	out.Write([]byte("late\n"))
	flush()
	if got := stdout.String(); got != "22:00:00 one\n22:00:01 two\n" {
		t.Errorf("stdout after a late write = %q", got)
	}
}
