package runtime

import (
	"os"
	"strconv"
	"syscall"
)

// CrashEnv names the environment variable that arms the crash points: with
// RUNBOOK_CRASHPOINT=N the process kills itself (SIGKILL) at the Nth crash
// point of the run. Crash tests use it to prove that a run interrupted at
// any point resumes to the same end.
const CrashEnv = "RUNBOOK_CRASHPOINT"

// Failpoints counts crash points and acts at the armed one.
type Failpoints struct {
	// At is the crash point to act at, counting from 1; 0 never acts.
	At int
	// Kill is called at the armed point; by default it sends SIGKILL to
	// this process.
	Kill func(point string)
	// Count is the number of points passed so far.
	Count int
}

// FailpointsFromEnv arms the crash points from RUNBOOK_CRASHPOINT; nil when
// it is unset or not a positive number.
func FailpointsFromEnv() *Failpoints {
	n, err := strconv.Atoi(os.Getenv(CrashEnv))
	if err != nil || n <= 0 {
		return nil
	}
	return &Failpoints{At: n}
}

// Func is Hit as a RunOptions.Crash, nil when f is nil: a run with no
// armed point then names none of its crash points (each name is a string
// made per operation and per step).
func (f *Failpoints) Func() func(point string) {
	if f == nil {
		return nil
	}
	return f.Hit
}

// Hit passes one crash point.
func (f *Failpoints) Hit(point string) {
	if f == nil {
		return
	}
	f.Count++
	if f.Count != f.At {
		return
	}
	if f.Kill != nil {
		f.Kill(point)
		return
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}
