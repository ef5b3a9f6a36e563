package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
)

// runLogFile is the log of a run's output in its state directory: what the
// terminal showed, so that an operator whose terminal is gone (a dropped SSH
// session, `runbook run ... | head`) can read what happened.
const runLogFile = runtime.RunLog

// runLog is run.log, open for appending. Both of a run's output streams
// write to it, through runOutput. What is written reaches the file within
// runLogDelay (at once past runLogBuffer bytes, and at Close): a simulated
// run prints thousands of lines a second, which one write each would slow.
type runLog struct {
	mu sync.Mutex
	f  io.WriteCloser
	// w writes to buf, hiding the runbook's sensitive values.
	w      *redact.Writer
	buf    []byte
	timer  *time.Timer // armed while buf waits
	closed bool
	err    error // the first write error; later writes are dropped
}

// runLogDelay bounds how long a line waits for run.log; runLogBuffer is
// how much is written at once.
const (
	runLogDelay  = 50 * time.Millisecond
	runLogBuffer = 1 << 16
)

// openRunLog opens run.log in the state directory (0600: the output may
// name the cluster's nodes and addresses) and starts the run's section with
// the time and command line. hide hides the runbook's sensitive values in
// it.
func openRunLog(sess runtime.Session, command string, hide *redact.Redactor) (*runLog, error) {
	f, err := sess.Stream(runtime.RunLog)
	if err != nil {
		return nil, err
	}
	l := &runLog{f: f}
	l.w = hide.NewWriter(logBuffer{l})
	fmt.Fprintf(l, "--- %s %s (pid %d)\n", time.Now().UTC().Format(time.RFC3339), command, os.Getpid())
	return l, nil
}

// ansiRE matches the colour escapes fatih/color writes, each whole in one
// write.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Write writes p without colour escapes. It never fails: a log that cannot
// be written must not stop a run.
func (l *runLog) Write(p []byte) (int, error) {
	n := len(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil && !l.closed {
		if bytes.IndexByte(p, 0x1b) >= 0 {
			p = ansiRE.ReplaceAll(p, nil)
		}
		l.w.Write(p)
		switch {
		case len(l.buf) >= runLogBuffer:
			l.flushLocked()
		case len(l.buf) > 0 && l.timer == nil:
			l.timer = time.AfterFunc(runLogDelay, l.flush)
		}
	}
	return n, nil
}

// logBuffer is where the redacting writer of a runLog writes, under its
// lock.
type logBuffer struct{ l *runLog }

func (b logBuffer) Write(p []byte) (int, error) {
	b.l.buf = append(b.l.buf, p...)
	return len(p), nil
}

func (l *runLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *runLog) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if len(l.buf) > 0 && l.err == nil {
		_, l.err = l.f.Write(l.buf)
	}
	l.buf = l.buf[:0]
}

func (l *runLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.w.Flush()
	l.flushLocked()
	return l.f.Close()
}

// runOutput is a run's stdout or stderr: each write goes to run.log (once
// it is open; runLog), and to the stream through the run's outputQueue. It
// never fails and never blocks: a terminal that stalls (a connection that
// dropped without a word, Ctrl-S) or fails (it hung up, the reader of a pipe
// has exited) must not stop a step half-way. Once the stream fails it is no
// longer written, and the run goes on with its output in run.log only.
type runOutput struct {
	q      *outputQueue
	w      io.Writer
	failed atomic.Bool
	log    atomic.Pointer[runLog]
}

func (o *runOutput) Write(p []byte) (int, error) {
	if l := o.log.Load(); l != nil {
		l.Write(p)
	} else {
		o.q.early(p)
	}
	if !o.failed.Load() {
		o.q.put(o, p)
	}
	return len(p), nil
}

// Unwrap returns the stream, for the terminal's width.
func (o *runOutput) Unwrap() io.Writer { return o.w }

// setLog starts copying to log (nil: stops). What the run printed before,
// since it started (the plan it showed, the confirmation), goes to log
// first.
func (o *runOutput) setLog(log *runLog) {
	q := o.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if log != nil && !q.logged {
		q.logged = true
		log.Write(q.before)
		q.before = nil
	}
	q.log = log
	o.log.Store(log)
}

// maxEarlyOutput bounds what is kept of the output before run.log is open.
const maxEarlyOutput = 1 << 20

// early keeps p for run.log, which is not open yet.
func (q *outputQueue) early(p []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.logged && q.log != nil:
		// setLog came between the caller's look and this.
		q.log.Write(p)
	case !q.logged && len(q.before)+len(p) <= maxEarlyOutput:
		q.before = append(q.before, p...)
	}
}

// outputQueueSize bounds the writes waiting for a stalled terminal; past it
// they are dropped from the terminal (run.log has them). Writes that wait
// only for their batch to gather are never dropped: at half of it, the
// batch is passed on at once.
const outputQueueSize = 4096

// outputSpareMax bounds the buffers the queue keeps for the next writes.
const outputSpareMax = 1 << 20

// outputFlushLimit bounds the wait, at the end of a run, for a terminal to
// take what is queued for it.
const outputFlushLimit = 5 * time.Second

// outputBatch is how long the queue's goroutine lets writes gather before
// it passes them on, the consecutive ones to a stream in one write: a
// simulated run prints thousands of lines a second.
const outputBatch = 10 * time.Millisecond

// outputQueue writes the run's streams from one goroutine, in the order of
// the writes across both.
type outputQueue struct {
	// qmu guards the writes waiting (pending, n of them: each run of
	// writes to one stream is one item) and whether a flush is waited
	// for (flushing: closed once the streams have taken all before it).
	qmu      sync.Mutex
	pending  []queued
	n        int
	flushing chan struct{}
	wake     chan struct{}
	// batch is how long writes gather (outputBatch); ending is closed
	// with flushing set: they gather no longer, so that the end of a run
	// does not wait for the rest of a batch.
	batch  time.Duration
	ending chan struct{}
	// hurry ends the batch early: half of outputQueueSize writes wait.
	// writing is true (under qmu) while the goroutine writes to the
	// streams: writes past outputQueueSize are dropped only then, when a
	// stream is slow to take them.
	hurry   chan struct{}
	writing bool
	dropped atomic.Int64
	// spare are the buffers of writes written, for the next (under qmu).
	spare [][]byte
	// before is the output written before run.log was open (logged: it
	// has been), for run.log.
	mu     sync.Mutex
	before []byte
	logged bool
	log    *runLog
	// stderr is where the queue says how many writes it dropped (never
	// stdout, which may be JSON lines).
	stderr *runOutput
}

type queued struct {
	o *runOutput
	p []byte
}

// newRunOutputs wraps a run's stdout and stderr.
func newRunOutputs(stdout, stderr io.Writer) (out, errOut *runOutput, flush func()) {
	return newRunOutputsBatch(stdout, stderr, outputBatch)
}

// newRunOutputsBatch is newRunOutputs whose writes gather for batch.
func newRunOutputsBatch(stdout, stderr io.Writer, batch time.Duration) (out, errOut *runOutput, flush func()) {
	q := &outputQueue{wake: make(chan struct{}, 1), batch: batch, ending: make(chan struct{}), hurry: make(chan struct{}, 1)}
	out, errOut = &runOutput{q: q, w: stdout}, &runOutput{q: q, w: stderr}
	q.stderr = errOut
	go q.loop()
	return out, errOut, q.flush
}

// put queues a copy of a write of p to o. Past outputQueueSize writes
// waiting for a stream to take the ones before, or once the queue is
// flushed, it is dropped.
func (q *outputQueue) put(o *runOutput, p []byte) {
	q.qmu.Lock()
	switch {
	case q.flushing != nil || (q.n >= outputQueueSize && q.writing):
		q.qmu.Unlock()
		q.dropped.Add(1)
		return
	case len(q.pending) > 0 && q.pending[len(q.pending)-1].o == o:
		last := &q.pending[len(q.pending)-1]
		last.p = append(last.p, p...)
	default:
		var buf []byte
		if k := len(q.spare); k > 0 {
			buf, q.spare = q.spare[k-1], q.spare[:k-1]
		}
		q.pending = append(q.pending, queued{o: o, p: append(buf, p...)})
	}
	q.n++
	hurry := q.n >= outputQueueSize/2
	q.qmu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	if hurry {
		select {
		case q.hurry <- struct{}{}:
		default:
		}
	}
}

func (q *outputQueue) loop() {
	var batch []queued
	for range q.wake {
		q.qmu.Lock()
		flushing := q.flushing
		q.qmu.Unlock()
		if flushing == nil {
			gather := time.NewTimer(q.batch)
			select {
			case <-gather.C:
			case <-q.ending:
				gather.Stop()
			case <-q.hurry:
				gather.Stop()
			}
		}
		q.qmu.Lock()
		batch, q.pending = q.pending, batch[:0]
		q.n = 0
		q.writing = true
		flushing = q.flushing
		q.qmu.Unlock()
		for _, it := range batch {
			if it.o.failed.Load() {
				continue
			}
			if n := q.dropped.Swap(0); n > 0 && !q.stderr.failed.Load() {
				fmt.Fprintf(q.stderr.w, "[%d writes not shown: the terminal did not keep up; %s in the state directory has them]\n", n, runLogFile)
			}
			if _, err := it.o.w.Write(it.p); err != nil {
				it.o.failed.Store(true)
			}
		}
		q.qmu.Lock()
		q.writing = false
		// The buffers serve the next writes (a stream keeps none of a
		// write's bytes); an exceptional one is let go.
		for i := range batch {
			if cap(batch[i].p) <= outputSpareMax && len(q.spare) < 4 {
				q.spare = append(q.spare, batch[i].p[:0])
			}
			batch[i].p = nil
		}
		q.qmu.Unlock()
		if flushing != nil {
			close(flushing)
			return
		}
	}
}

// flush waits, for at most outputFlushLimit, until the streams have taken
// what is queued, and ends the queue's goroutine: later writes reach
// run.log only.
func (q *outputQueue) flush() {
	q.qmu.Lock()
	if q.flushing != nil {
		q.qmu.Unlock()
		return
	}
	done := make(chan struct{})
	q.flushing = done
	close(q.ending)
	q.qmu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	limit := time.NewTimer(outputFlushLimit)
	defer limit.Stop()
	select {
	case <-done:
	case <-limit.C:
	}
}
