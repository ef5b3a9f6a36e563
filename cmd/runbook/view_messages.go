package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// messages is what the commands say of themselves, apart from what their
// views show (the events of a run, a plan, a status): why a run did not
// start, a wait for a lock, what failed around a run (its log, its report,
// closing its driver), and the one-line outcomes of report, unlock and
// state push and pull. Errors and warnings are for a person, on stderr in
// every view: with --json, stdout stays JSON (notStartedJSON is the JSON
// side of a run that did not start). out takes the answer to the
// confirmation prompt, on stdout beside its question, and the outcomes.
type messages struct {
	out, err io.Writer
}

// messages are the command's messages on its stdout and stderr as they are
// at the call: a run wraps them as it goes (its log, the hiding of the
// runbook's sensitive values).
func (a *app) messages() messages { return messages{out: a.stdout, err: a.stderr} }

// Error says that err stopped what the command was doing.
func (m messages) Error(err error) { fmt.Fprintf(m.err, "Error: %v\n", err) }

// Usage is a usage error of `runbook run` found once the runbook is
// loaded; it returns the exit code.
func (m messages) Usage(err error) int {
	fmt.Fprintf(m.err, "Error: %v\nRun 'runbook run --help' for usage.\n", err)
	return exitUsage
}

// Invalid says that the runbook at path is invalid, with errs errors (shown
// above it), and that nothing was run.
func (m messages) Invalid(path string, errs int) {
	fmt.Fprintf(m.err, "Error: the runbook is invalid (%s); nothing was run. `runbook validate %s` checks it.\n", plural(errs, "error"), path)
}

// InvalidCluster is Invalid for a cluster of a fleet, which counts as a
// failure.
func (m messages) InvalidCluster(path string, errs int) {
	fmt.Fprintf(m.err, "Error: the runbook is invalid (%s); this cluster is not run, and counts as a failure. `runbook validate %s` checks it.\n", plural(errs, "error"), path)
}

// NotOpened says that a fleet's cluster could not be opened (err), which
// counts as a failure.
func (m messages) NotOpened(err error) {
	fmt.Fprintf(m.err, "Error: %v; this cluster is not run, and counts as a failure.\n", err)
}

// SameName says that two paths of a fleet run sharing a --state are the
// same runbook.
func (m messages) SameName(first, second, name string) {
	fmt.Fprintf(m.err, "Error: %s and %s are both runbook %q: with --state, each cluster's state is DIR/NAME, so each needs its own name.\n", first, second, name)
}

// FleetFailures says that the fleet's failures, which its runners share,
// cannot be opened.
func (m messages) FleetFailures(err error) {
	fmt.Fprintf(m.err, "Error: the fleet's failures: %v\n", err)
}

// NoTerminal says that command ("run", "fleet run") has no terminal to ask
// for its confirmation on.
func (m messages) NoTerminal(command string) {
	fmt.Fprintf(m.err, "Error: %s shows the plan and asks for confirmation on a terminal, and there is none. Pass --auto-approve to run without asking.\n", command)
}

// Cancelled answers a confirmation that was not given: why, if a signal or
// an error cut it short, and that what ("Run", "Fleet run") did nothing.
func (m messages) Cancelled(what string, err error) {
	if err != nil {
		fmt.Fprintf(m.out, "%v.\n", upperFirst(err.Error()))
	}
	fmt.Fprintf(m.out, "%s cancelled: nothing was done.\n", what)
}

// WaitingForLock says that the run waits (at most wait, --wait-lock) for
// the lock of the state at where, held by h (nil: its holder record is
// unreadable) for left more unless renewed.
func (m messages) WaitingForLock(where string, h *runtime.Holder, left, wait time.Duration) {
	who := "another run (its holder record is unreadable)"
	if h != nil {
		who = h.String()
	}
	fmt.Fprintf(m.err, "Waiting for the lock of %s, held by %s: its lease expires in %s unless its holder renews it (waiting at most %s, --wait-lock).\n", where, who, left, wait)
}

// Locked says that another run holds the lock (err) of the runbook at
// path.
func (m messages) Locked(err error, path string) {
	fmt.Fprintf(m.err, "Error: %v.\nAnother run is in progress: wait for it, or stop it. If it died, `runbook unlock %s` clears the lock.\n", err, path)
}

// NotLogged warns that the run's output does not go to its run.log.
func (m messages) NotLogged(err error) {
	fmt.Fprintf(m.err, "Warning: the run's output is not logged: %v\n", err)
}

// DriverNotClosed says that closing the driver failed.
func (m messages) DriverNotClosed(driver string, err error) {
	fmt.Fprintf(m.err, "Error: closing the %s driver: %v\n", driver, err)
}

// NotWritten says that what (a path, "the report") could not be written.
func (m messages) NotWritten(what string, err error) {
	fmt.Fprintf(m.err, "Error: writing %s: %v\n", what, err)
}

// Written says that what ("Report", "Report data") was written to path.
func (m messages) Written(what, path string) {
	fmt.Fprintf(m.out, "%s written to %s\n", what, path)
}

// NoRun says that the state at dir has no run to report on, for the
// runbook at path.
func (m messages) NoRun(dir, path string) {
	fmt.Fprintf(m.err, "Error: no run to report on in %s: `runbook run %s` first (or name the state with --state, or a rehearsal's with --driver sim).\n", dir, path)
}

// Preflight is the outcome of plan's live check, the one a run makes before
// its first step: what the live cluster agrees with, or why it refuses
// (err). It reports whether the cluster agrees.
func (m messages) Preflight(agreed string, err error) bool {
	if err != nil {
		fmt.Fprintf(m.err, "Error: the live cluster refuses this plan: %v\n", err)
		return false
	}
	fmt.Fprintf(m.err, "The live cluster agrees with the plan: %s.\n", agreed)
	return true
}

// NoSharedStore says that state push or pull (command) found no shared
// store to copy with.
func (m messages) NoSharedStore(command string) {
	fmt.Fprintf(m.err, "Error: state %s needs the shared store: --state URL, %s, or a state block in the runbook.\n", command, stateEnv)
}

// CopyLocked says that a run holds the state (err) that state push or pull
// would copy.
func (m messages) CopyLocked(err error) {
	fmt.Fprintf(m.err, "Error: %v: a run is in progress there; copy once it has stopped.\n", err)
}

// Copied says that the state at src was copied into dst.
func (m messages) Copied(src, dst string) {
	fmt.Fprintf(m.out, "Copied the state of %s into %s.\n", src, dst)
}

// HolderRunning is unlock's refusal: h (nil: its record is missing) holds
// the lock of the state at dir, and runs on this host if alive.
func (m messages) HolderRunning(dir string, h *runtime.Holder, alive bool) {
	who := "a process whose record is missing"
	if h != nil {
		who = h.String()
	}
	still := ""
	if alive {
		still = " It is still running on this host."
	}
	fmt.Fprintf(m.err, "Error: the state directory %s is locked by %s.%s Stop that run first (Ctrl-C stops it after its current step); pass --force only if you know it runs no step.\n", dir, who, still)
}

// Unlocked is what unlock did to the lock of the state at dir.
func (m messages) Unlocked(dir string, res *runtime.UnlockResult) {
	switch {
	case res.Held:
		fmt.Fprintf(m.out, "Removed the lock of %s, held by %s (--force).\n", dir, holderName(res.Holder))
	case res.Cleared:
		fmt.Fprintf(m.out, "Cleared the stale lock of %s: %s is gone.\n", dir, holderName(res.Holder))
	default:
		fmt.Fprintf(m.out, "The state directory %s is not locked.\n", dir)
	}
}

// holderName names a lock's holder; nil is an unknown process.
func holderName(h *runtime.Holder) string {
	if h == nil {
		return "an unknown process"
	}
	return h.String()
}

// leftoversSettled is the notice of what a driver settled before the run
// that an interrupted run left on the cluster.
func leftoversSettled(removed []string) string {
	return "Settled what an interrupted run left on the cluster: " + strings.Join(removed, "; ")
}
