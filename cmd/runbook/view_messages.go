package main

import (
	"fmt"
	"io"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// messages is what run and fleet run say of themselves, apart from the
// events of the runs they drive (runView, fleetView): why a run did not
// start, a wait for a lock, what failed around a run (its log, its report,
// closing its driver). They are for a person, on stderr in every view: with
// --json, stdout stays JSON (notStartedJSON is the JSON side of a run that
// did not start). out takes the answer to the confirmation prompt, on
// stdout beside its question.
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

// ReportNotWritten says that the run's report could not be written.
func (m messages) ReportNotWritten(err error) {
	fmt.Fprintf(m.err, "Error: writing the report: %v\n", err)
}
