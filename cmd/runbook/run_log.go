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
// write to it, through runOutput.
type runLog struct {
	mu sync.Mutex
	f  io.WriteCloser
	// w writes to f, hiding the runbook's sensitive values.
	w   *redact.Writer
	err error // the first write error; later writes are dropped
}

// openRunLog opens run.log in the state directory (0600: the output may
// name the cluster's nodes and addresses) and starts the run's section with
// the time and command line. hide hides the runbook's sensitive values in
// it.
func openRunLog(sess runtime.Session, command string, hide *redact.Redactor) (*runLog, error) {
	f, err := sess.Stream(runtime.RunLog)
	if err != nil {
		return nil, err
	}
	l := &runLog{f: f, w: hide.NewWriter(f)}
	fmt.Fprintf(l, "--- %s %s (pid %d)\n", time.Now().UTC().Format(time.RFC3339), command, os.Getpid())
	return l, nil
}

// ansiRE matches the colour escapes fatih/color writes, each whole in one
// write.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Write writes p without colour escapes. It never fails: a log that cannot
// be written must not stop a run.
func (l *runLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		_, l.err = l.w.Write(ansiRE.ReplaceAll(p, nil))
	}
	return len(p), nil
}

func (l *runLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Flush()
	return l.f.Close()
}

// runOutput is a run's stdout or stderr: each write goes to run.log (once
// it is open) at once, and to the stream through the run's outputQueue. It
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
		o.q.put(queued{o: o, p: bytes.Clone(p)})
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
// they are dropped from the terminal (run.log has them).
const outputQueueSize = 4096

// outputFlushLimit bounds the wait, at the end of a run, for a terminal to
// take what is queued for it.
const outputFlushLimit = 5 * time.Second

// outputQueue writes the run's streams from one goroutine, in the order of
// the writes across both.
type outputQueue struct {
	ch      chan queued
	dropped atomic.Int64
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
	o    *runOutput
	p    []byte
	done chan struct{} // a flush's marker
}

// newRunOutputs wraps a run's stdout and stderr.
func newRunOutputs(stdout, stderr io.Writer) (out, errOut *runOutput, flush func()) {
	q := &outputQueue{ch: make(chan queued, outputQueueSize)}
	out, errOut = &runOutput{q: q, w: stdout}, &runOutput{q: q, w: stderr}
	q.stderr = errOut
	go q.loop()
	return out, errOut, q.flush
}

func (q *outputQueue) put(it queued) {
	select {
	case q.ch <- it:
	default:
		q.dropped.Add(1)
	}
}

func (q *outputQueue) loop() {
	for it := range q.ch {
		if it.done != nil {
			close(it.done)
			return
		}
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
}

// flush waits, for at most outputFlushLimit, until the streams have taken
// what is queued, and ends the queue's goroutine: later writes reach
// run.log only.
func (q *outputQueue) flush() {
	done := make(chan struct{})
	limit := time.NewTimer(outputFlushLimit)
	defer limit.Stop()
	select {
	case q.ch <- queued{done: done}:
	case <-limit.C:
		return
	}
	select {
	case <-done:
	case <-limit.C:
	}
}
