package main

import (
	"bytes"
	"fmt"
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

// TestRunOutputsKeepUpWithAFastStream: writes that only wait for their
// batch to gather are not dropped, however many come in it; only a stream
// slow to take them loses writes (to run.log only). The writer here never
// runs ahead of the stream by more than half the queue; with a batch far
// longer than the test, the queue must pass the writes on as they pile up.
func TestRunOutputsKeepUpWithAFastStream(t *testing.T) {
	var stdout, stderr lockedBuffer
	out, _, flush := newRunOutputsBatch(&stdout, &stderr, time.Hour)
	const lines = 4 * outputQueueSize
	var want bytes.Buffer
	for i := range lines {
		line := fmt.Sprintf("22:00:%02d line %d\n", i%60, i)
		want.WriteString(line)
		out.Write([]byte(line))
		if i%(outputQueueSize/4) == 0 {
			// Wait (a bounded while) for the stream to take what waits.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				out.q.qmu.Lock()
				n := out.q.n
				out.q.qmu.Unlock()
				if n < outputQueueSize/2 {
					break
				}
			}
		}
	}
	flush()
	if got := stderr.String(); got != "" {
		t.Errorf("stderr = %q, want nothing (no write dropped)", got)
	}
	if got := stdout.String(); got != want.String() {
		t.Errorf("stdout has %d bytes, want the %d written (%d lines)", len(got), want.Len(), lines)
	}
}
