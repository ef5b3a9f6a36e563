package runtime

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Runbook is what the runtime executes: a declared cluster and the step
// instances in order. The command line builds it from a loaded lang.Runbook,
// so that this package does not depend on the language.
type Runbook struct {
	Name    string
	Cluster *cluster.Cluster
	Steps   []Step
}

// Step is one step instance to run.
type Step struct {
	steps.Instance
	// When is false for a step whose `when` is false: it is recorded as
	// skipped.
	When bool
}

// Index returns the position of the step with the address, or -1.
func (rb *Runbook) Index(address string) int {
	for i := range rb.Steps {
		if rb.Steps[i].Address == address {
			return i
		}
	}
	return -1
}

// Step outcomes, as the journal and the events name them.
const (
	StatusStarted = "started"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusInDoubt = "in-doubt"
	StatusPending = "pending"
)

// Outcomes of a run.
const (
	// OutcomeCompleted: every step is done or skipped.
	OutcomeCompleted = "completed"
	// OutcomeStopped: the run stopped on purpose before the end (a stop
	// request, --stop-after, the end of the window) and can resume.
	OutcomeStopped = "stopped"
	// OutcomeInterrupted: the step in flight was cancelled; it is in doubt
	// and the run can resume.
	OutcomeInterrupted = "interrupted"
	// OutcomeFailed: a step failed or is in doubt.
	OutcomeFailed = "failed"
	// OutcomeDrift: the cluster is not in the state the runbook or the
	// journal expects; nothing was done.
	OutcomeDrift = "drift"
	// OutcomeError: the runtime itself could not go on (status unreadable,
	// journal not writable).
	OutcomeError = "error"
)

// DefaultSettle is how long a resumed step waits, by default, for the
// effect of an operation an earlier run left in doubt.
const DefaultSettle = 5 * time.Minute

// Options are the inputs of Run besides the runbook.
type Options struct {
	Registry steps.Registry
	// Driver acts on the cluster. If it implements cluster.DowntimeReporter,
	// the summary's downtime comes from it.
	Driver cluster.Driver
	// State is the state directory; nil runs without a journal (plan).
	State *State
	// Plan runs the steps on a model of the cluster (the simulator) to
	// predict their effects: a step whose type does not mutate the cluster
	// has no effect on the model and is never run (it would ask the
	// operator, or run a local command); it is reported done, with
	// StepReport.NoEffect saying what it does instead.
	Plan bool
	// DriverName is recorded in the journal; a state directory is never
	// used with two different drivers.
	DriverName string
	// Command is recorded in the journal ("runbook run ...").
	Command string
	// RunbookVersion and RunbookSHA256 (the runbook's own version, and a
	// hash of its text) are recorded in the journal's run record.
	RunbookVersion, RunbookSHA256 string

	// Poll is how often steps read status while waiting.
	Poll time.Duration
	// Prompt, AutoApprove and Output are passed to the steps (steps.Env).
	Prompt      func(ctx context.Context, question string) (bool, error)
	AutoApprove bool
	// Rehearsal is passed to the steps (steps.Env.Rehearsal): a runbook
	// written for a real cluster runs on the simulator.
	Rehearsal bool
	Output    io.Writer
	// Dir is the runbook's directory, where the steps run local commands
	// (steps.Env.Dir).
	Dir string

	// Events receives every event, in order. It may be nil.
	Events func(Event)
	// Waiting, if set, is told on every status read of a wait what the
	// step in flight waits for and what is still pending
	// (steps.Env.Waiting): a live view shows it; it is not an event.
	Waiting func(step, what, pending string, now time.Time)

	// Stop, when closed, stops the run after the step in flight.
	Stop <-chan struct{}
	// StopCause, if set, says why Stop was closed ("hangup", "interrupt"),
	// for the run's stop message; it is called only once Stop is closed.
	StopCause func() string
	// StopAfter stops the run after the step with this address.
	StopAfter string
	// End, if set, is the end of the window on the driver's clock: a step
	// whose timeout would run past it is not started.
	End time.Time
	// Predicted holds the plan's predicted duration of each step, to say
	// how long what is left will take.
	Predicted map[string]time.Duration

	// Settle bounds how long a resumed step waits for the effect of the
	// operations an earlier run left in doubt, with no sign of progress,
	// before it stops in doubt (DefaultSettle if zero).
	Settle time.Duration
	// Reissue lists the addresses of steps whose operations in doubt the
	// operator asks to issue again (run --reissue): each must have some.
	Reissue []string

	// Crash is called at every crash point: before each step, after each
	// driver operation and after each journal write. Tests use it to kill
	// the process there (see Failpoints).
	Crash func(point string)

	// HandOverLater lets Run return without waiting for the writes its
	// State makes on a goroutine of its own (a session that holds writes
	// back): they go on meanwhile, in the same order, and a read or a blob
	// through the State's session, State.HandOver and State.Close pass
	// them all to the session first; a read of the store itself sees them
	// only after one of those. Without it, it sees them once Run returns.
	HandOverLater bool
}

// Result is the outcome of Run: what the summary event says.
type Result struct {
	Outcome string
	// Done counts the steps done by this run; Earlier those the journal
	// had done or skipped before it. Failed counts the steps that failed in
	// this run, and those that failed earlier with on_failure = "continue"
	// (settled: not run again, and not left).
	Done, Earlier, Skipped, Failed, InDoubt, Left int
	Start, End                                    time.Time
	Downtime                                      map[string]time.Duration
	// Last is the address of the last step done, Next the first left.
	Last, Next string
	// LeftPredicted is the predicted duration of the steps left.
	LeftPredicted time.Duration
	// Message says why the run ended, in a sentence.
	Message string
	// Steps lists, for a plan, each step's predicted duration and changes.
	Steps []StepReport
	// Offline lists the resources not running at the end.
	Offline []string
}

// OK reports whether the run completed.
func (r *Result) OK() bool { return r.Outcome == OutcomeCompleted }

// StepReport is what one step did in this run.
type StepReport struct {
	Address  string
	Status   string
	Start    time.Time
	Duration time.Duration
	Changes  []Change
	Error    string
	// NoEffect is set, in a plan, on a step that has no effect on the
	// cluster and was not run: what it does instead ("asks the operator"),
	// or "" when its type does not say.
	NoEffect string
	// NotRun is set, in a plan, on a step that has no effect on the cluster
	// and was not run.
	NotRun bool
	// Continued is set on a failed step that on_failure = "continue" let
	// the run go past: it is settled, and no later run runs it again.
	Continued bool
}

// ExitCode maps an outcome to the command line's exit code (the README's
// "Exit codes": 0 completed, 1 failed, 3 stopped on purpose).
func (r *Result) ExitCode() int {
	switch r.Outcome {
	case OutcomeCompleted:
		return 0
	case OutcomeStopped, OutcomeInterrupted:
		return 3
	}
	return 1
}

func fmtDuration(d time.Duration) string {
	var buf [24]byte
	return string(appendDuration(buf[:0], d))
}

// appendDuration appends d as fmtDuration says it, without formatting:
// every step's event says how long it took.
func appendDuration(b []byte, d time.Duration) []byte {
	if d == 0 {
		return append(b, "0s"...)
	}
	if d > 0 && d < time.Minute && d%time.Second != 0 {
		// Short durations keep their fraction: a resource down for 0.4s
		// was down, not "0s".
		if d < 100*time.Millisecond {
			b = strconv.AppendInt(b, int64(max(d.Round(time.Millisecond), time.Millisecond)/time.Millisecond), 10)
			return append(b, "ms"...)
		}
		if r := d.Round(100 * time.Millisecond); r%time.Second != 0 {
			b = strconv.AppendInt(b, int64(r/time.Second), 10)
			return append(b, '.', byte('0'+r%time.Second/(100*time.Millisecond)), 's')
		}
	}
	d = d.Round(time.Second)
	h, m, s := int64(d/time.Hour), int64(d/time.Minute)%60, int64(d/time.Second)%60
	switch {
	case h > 0 && m == 0 && s == 0:
		b = appendUnit(b, h, 'h')
	case h > 0 && s == 0:
		b = appendUnit(appendUnit(b, h, 'h'), m, 'm')
	case h > 0:
		b = appendUnit(appendUnit(appendUnit(b, h, 'h'), m, 'm'), s, 's')
	case m > 0 && s == 0:
		b = appendUnit(b, m, 'm')
	case m > 0:
		b = appendUnit(appendUnit(b, m, 'm'), s, 's')
	default:
		b = appendUnit(b, s, 's')
	}
	return b
}

// appendUnit appends n and its unit.
func appendUnit(b []byte, n int64, unit byte) []byte {
	return append(strconv.AppendInt(b, n, 10), unit)
}

// FormatDuration prints a duration the way the output does: "1h2m", "45m",
// "12s"; under a minute, with its fraction: "12.3s", "0.4s", "40ms".
func FormatDuration(d time.Duration) string { return fmtDuration(d) }
