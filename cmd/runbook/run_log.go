package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/runbookhq/runbook/runtime/redact"
)

// runLogFile is the log of a run's output in its state directory: what the
// terminal showed, so that an operator whose terminal is gone (a dropped SSH
// session, `runbook run ... | head`) can read what happened.
const runLogFile = "run.log"

// runLog is run.log, open for appending. Both of a run's output streams
// write to it, through runOutput.
type runLog struct {
	mu sync.Mutex
	f  *os.File
	// w writes to f, hiding the runbook's sensitive values.
	w   *redact.Writer
	err error // the first write error; later writes are dropped
}

// openRunLog opens run.log in the state directory (0600: the output may
// name the cluster's nodes and addresses) and starts the run's section with
// the time and command line. hide hides the runbook's sensitive values in
// it.
func openRunLog(dir, command string, hide *redact.Redactor) (*runLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, runLogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
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

// runOutput is a run's stdout or stderr: each write goes to the stream and
// to run.log (once it is open). It never fails: once the stream fails (the
// terminal is gone, the reader of a pipe has exited), it is no longer
// written, and the run goes on with its output in run.log only.
type runOutput struct {
	mu     sync.Mutex
	w      io.Writer
	failed bool
	log    *runLog
}

func (o *runOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	w, log := o.w, o.log
	if o.failed {
		w = nil
	}
	o.mu.Unlock()
	if w != nil {
		if _, err := w.Write(p); err != nil {
			o.mu.Lock()
			o.failed = true
			o.mu.Unlock()
		}
	}
	if log != nil {
		log.Write(p)
	}
	return len(p), nil
}

// setLog starts copying to log.
func (o *runOutput) setLog(log *runLog) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log = log
}
