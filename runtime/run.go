package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime/procgroup"
	"github.com/runbookhq/runbook/steps"
)

// Advice printed with differences.
const (
	adviceDeclared = "the cluster is not as the runbook declares it before its first step; fix the cluster, or the runbook's node and resource blocks"
	adviceJournal  = "someone or something changed the cluster since the journal's last step; check it and put it back, then run again, or start over with a fresh state directory (--state DIR), which compares the cluster with the runbook's declaration instead"
)

type runner struct {
	rb   *Runbook
	opts Options
	res  *Result
	obs  *observer
	env  *steps.Env
	cur  *StepReport
	ctx  context.Context
	// lastOp is the last driver operation the step in flight issued, "" if
	// none yet: what was in flight when a run is aborted.
	lastOp string
	// journaling is set once this invocation's run record is written: its
	// changes and its end are journaled too.
	journaling bool
	// changes is where the changes of the run are kept, for the steps'
	// reports and the change events alike (keep).
	changes changeArena
	// texts is where what the change events and steps' events say is made.
	texts texts
	// times and durations are where the steps' records and events take
	// their start times and durations from (take).
	times     []time.Time
	durations []Seconds
	// after is ctx without its cancellation: the status after a step is
	// read even when the run was cancelled during it. Made once.
	after context.Context
	// stepsReady is closed once the room for the steps' reports is ready
	// for them (Run): nothing is written to it before.
	stepsReady chan struct{}
	// earlier is each step's last record in the journal as the run found
	// it (nil until read): with the steps the run reports, what the
	// journal settles at its end (settledSteps).
	earlier map[string]Record
}

func (r *runner) emit(e Event) {
	if r.opts.Events != nil {
		r.opts.Events(e)
	}
}

func (r *runner) crash(point string) {
	if r.opts.Crash != nil {
		r.opts.Crash(point)
	}
}

func (r *runner) now() time.Time { return r.opts.Driver.Now() }

func (r *runner) journal(rec Record) error {
	if r.opts.State == nil {
		return nil
	}
	if rec.Type == "" {
		rec.Type = RecordStep
	}
	if rec.Time.IsZero() {
		rec.Time = r.now()
	}
	if err := r.opts.State.appendOne(&rec); err != nil {
		return err
	}
	r.crash("after journal write")
	return nil
}

// Run executes the runbook's steps in order through opts.Driver, journaling
// each step in opts.State (if set), and reports what happens through
// opts.Events. It returns what the run's summary says; it never panics on a
// step's failure, which is an outcome like any other.
func Run(ctx context.Context, rb *Runbook, opts Options) *Result {
	// Each step appends its report once: room for all of them at once,
	// its pages mapped on another goroutine while the run starts.
	r := &runner{rb: rb, opts: opts, ctx: ctx, res: &Result{Start: opts.Driver.Now(), Steps: make([]StepReport, 0, len(rb.Steps))}}
	r.stepsReady = make(chan struct{})
	go func(steps []StepReport) {
		touched(steps)
		close(r.stepsReady)
	}(r.res.Steps)
	r.run()
	<-r.stepsReady
	r.finish()
	r.journalEnd()
	return r.res
}

func (r *runner) fail(outcome, msg, detail string) {
	r.res.Outcome = outcome
	r.res.Message = msg
	r.emit(Event{Type: EventStop, Time: r.now(), Message: msg, Detail: detail, Alarm: outcome != OutcomeStopped})
}

func (r *runner) run() {
	if !r.checkTimeouts() {
		return
	}
	d := r.opts.Driver
	live, err := d.Status(r.ctx)
	if err != nil {
		r.fail(OutcomeError, fmt.Sprintf("cannot read the cluster's status: %v", err), "")
		return
	}
	var recs []Record
	if r.opts.State != nil {
		recs = r.opts.State.Records()
	}
	last := StepStatuses(recs)
	r.earlier = last
	fresh := !HasSteps(recs)
	if first := FirstDriver(recs); first != "" && r.opts.DriverName != "" && first != r.opts.DriverName {
		r.fail(OutcomeError, fmt.Sprintf("the state directory %s belongs to a run with driver %q, not %q", r.opts.State.Store.Where(""), first, r.opts.DriverName),
			"use the same driver, or another state directory (--state DIR)")
		return
	}

	// Compare the live cluster with what is expected before doing anything.
	var known *cluster.Status
	wide := map[string]string{} // steps in flight, by their last status: their scope is tolerated, and observed wide
	if fresh {
		if diffs := checkDeclared(r.rb.Cluster, live); len(diffs) > 0 {
			r.drift(diffs, "the runbook declares", adviceDeclared)
			return
		}
		if _, logged := d.(cluster.ChangeLog); logged {
			// The observer reads the driver's log, and keeps no copy of
			// the live status's nodes and resources (useLog).
			known = &cluster.Status{Nodes: live.Nodes, Resources: live.Resources, Licenses: append([]cluster.LicenseStatus(nil), live.Licenses...), MediaVersion: live.MediaVersion}
		} else {
			known = live.Clone()
		}
		if r.opts.State != nil {
			if err := r.opts.State.WriteSnapshot(r.now(), live); err != nil {
				r.fail(OutcomeError, fmt.Sprintf("cannot write the snapshot: %v", err), "")
				return
			}
		}
	} else {
		snap, err := ReadSnapshot(r.opts.State.Store)
		if err != nil {
			r.fail(OutcomeError, fmt.Sprintf("the journal has steps, but the snapshot of the cluster before them is unreadable: %v", err),
				"start over with a fresh state directory (--state DIR)")
			return
		}
		known = Expected(snap, recs)
		skipN, skipR, all := map[string]bool{}, map[string]bool{}, false
		for addr, rec := range last {
			if !inFlight(rec) {
				continue
			}
			i := r.rb.Index(addr)
			if i < 0 {
				continue
			}
			wide[addr] = rec.Status
			in := &r.rb.Steps[i].Instance
			n, res, a := scopeOf(r.rb.Cluster, r.opts.Registry[in.Type], in, true)
			for k := range n {
				skipN[k] = true
			}
			for k := range res {
				skipR[k] = true
			}
			all = all || a
		}
		if diffs := compareStatus(known, live, skipN, skipR, all, len(wide) > 0); len(diffs) > 0 {
			r.drift(diffs, "journal expects", adviceJournal)
			return
		}
	}
	reissue, ok := r.checkReissue(recs)
	if !ok {
		return
	}
	if r.opts.State != nil {
		if err := r.opts.State.Append(Record{Type: RecordRun, Time: r.now(), Runbook: r.rb.Name, Driver: r.opts.DriverName, Command: r.opts.Command,
			RunbookVersion: r.opts.RunbookVersion, SHA256: r.opts.RunbookSHA256}); err != nil {
			r.fail(OutcomeError, err.Error(), "")
			return
		}
		r.journaling = true
		r.crash("after journal write")
		for _, rec := range reissue {
			if err := r.journal(rec); err != nil {
				r.fail(OutcomeError, err.Error(), "")
				return
			}
			r.emit(Event{Type: EventLog, Time: r.now(), Step: rec.Address,
				Message: fmt.Sprintf("%s@%s asked to issue %s again (--reissue): not waiting for the earlier attempt's effect", rec.User, rec.Host, strings.Join(rec.Ops, ", "))})
		}
	}

	if r.opts.State != nil && r.opts.State.behind != nil {
		r.changes.newChunk = r.opts.State.behind.nextChanges
	}
	r.obs = newObserver(d, r.rb.Cluster, known, r.onChange, r.crash)
	r.obs.reserve = func(n int) {
		if r.cur != nil {
			r.changes.reserve(&r.cur.Changes, n)
		}
	}
	if l, ok := d.(cluster.ChangeLog); ok && fresh {
		// known is the live status, as the driver's log starts from.
		r.obs.useLog(l, live)
	}
	r.obs.crashes = r.opts.Crash != nil
	g, gated := d.(cluster.StartGate)
	gated = gated && g.GatesStarts()
	if !fresh {
		r.resumeDowntime(recs, live)
	}
	r.obs.intent = func(key string) error {
		r.lastOp = key
		if r.cur == nil || r.opts.State == nil {
			return nil
		}
		// No crash point between the intent and the operation: a crash
		// there cannot be told from one during the operation, and a step
		// resuming after either waits for the operation's effect. Writes
		// held back are not written of the session's own accord from
		// here to the outcome (ended).
		return r.opts.State.journalOp(r.now(), r.cur.Address, key, gated)
	}
	host, _ := os.Hostname()
	boot := procgroup.BootID()
	r.obs.started = func(key string, c cluster.StartedCommand) {
		if r.cur == nil || r.opts.State == nil {
			return
		}
		// A failed write leaves the operation announced without a process
		// group: a resumed run then waits the settle time for its effect.
		_ = r.opts.State.Append(Record{Type: RecordOpStarted, Time: r.now(), Address: r.cur.Address, Op: key, Pgid: c.Pgid, Boot: boot, Host: host, Ran: c.Ran})
	}
	r.obs.ended = func(key string, err error) {
		if r.cur == nil || r.opts.State == nil {
			return
		}
		if err == nil {
			_ = r.opts.State.journalOpEnd(r.now(), r.cur.Address, key)
			return
		}
		rec := Record{Type: RecordOpEnd, Time: r.now(), Address: r.cur.Address, Op: key}
		switch {
		case errors.Is(err, cluster.ErrInDoubt):
			rec.Outcome, rec.Error = OpInDoubt, err.Error()
		default:
			rec.Outcome, rec.Error = OpFailed, err.Error()
		}
		_ = r.opts.State.Append(rec)
		r.opts.State.endOp()
	}
	r.obs.logf = r.logf
	r.obs.settle = r.opts.Settle
	if r.obs.settle <= 0 {
		r.obs.settle = DefaultSettle
	}
	r.env = &steps.Env{Cluster: r.rb.Cluster, Driver: r.obs, Poll: r.opts.Poll, Logf: r.logf, Waiting: r.waiting,
		Prompt: r.opts.Prompt, AutoApprove: r.opts.AutoApprove, Rehearsal: r.opts.Rehearsal, Output: r.opts.Output, Dir: r.opts.Dir}

	earlier, continued := 0, 0
	for _, s := range r.rb.Steps {
		switch rec, ok := last[s.Address]; {
		case !ok || !Settled(rec):
		case rec.Status == StatusFailed:
			continued++
		default:
			earlier++
		}
	}
	msg := fmt.Sprintf("runbook %s: %d steps", r.rb.Name, len(r.rb.Steps))
	if !fresh {
		msg += fmt.Sprintf(", resuming: %d done or skipped earlier", earlier)
		if continued > 0 {
			msg += fmt.Sprintf(", %d failed earlier and continued past (on_failure = \"continue\"; not run again)", continued)
		}
	}
	r.emit(Event{Type: EventStart, Time: r.now(), Message: msg})
	<-r.stepsReady

	for i := range r.rb.Steps {
		s := &r.rb.Steps[i]
		if prev, ok := last[s.Address]; ok && Settled(prev) {
			if prev.Status == StatusFailed {
				// Failed earlier, and the run went on past it: settled.
				r.res.Failed++
			} else {
				r.res.Earlier++
			}
			continue
		}
		if stop := r.stopBefore(s); stop {
			return
		}
		if r.opts.Crash != nil {
			r.crash("before step " + s.Address)
		}
		if !s.When {
			if err := r.journal(Record{Address: s.Address, Status: StatusSkipped}); err != nil {
				r.fail(OutcomeError, err.Error(), "")
				return
			}
			r.res.Skipped++
			r.res.Steps = append(r.res.Steps, StepReport{Address: s.Address, Status: StatusSkipped, Start: r.now()})
			r.emit(Event{Type: EventStep, Time: r.now(), Step: s.Address, Status: StatusSkipped, Message: "skipped: its when is false"})
		} else if !r.step(s, wide[s.Address]) {
			return
		}
		if s.Address == r.opts.StopAfter {
			r.stop(fmt.Sprintf("stopped after %s as asked (--stop-after)", s.Address))
			return
		}
	}
	r.res.Outcome = OutcomeCompleted
	r.res.Message = "run complete"
}

// problemsError is a failed precondition check.
type problemsError struct{ list []string }

func (e *problemsError) Error() string {
	return "its preconditions do not hold: " + strings.Join(e.list, "; ")
}

// inFlight reports whether the step of the record may have left the cluster
// part-way: started, in doubt, or failed without the run going on past it.
func inFlight(rec Record) bool {
	switch rec.Status {
	case StatusStarted, StatusInDoubt:
		return true
	case StatusFailed:
		return !rec.Continued
	}
	return false
}

func (r *runner) drift(diffs []Difference, whose, advice string) {
	for _, d := range diffs {
		r.emit(Event{Type: EventDrift, Time: r.now(), Message: d.describe(whose), Alarm: true})
	}
	r.fail(OutcomeDrift, fmt.Sprintf("the cluster differs from what the %s expects in %d place(s); nothing was done", map[bool]string{true: "runbook", false: "journal"}[whose == "the runbook declares"], len(diffs)), advice)
}

// stopBefore stops the run before s if a stop was requested or s would run
// past the window.
func (r *runner) stopBefore(s *Step) bool {
	select {
	case <-r.opts.Stop:
		msg := "stopped as asked"
		if r.opts.StopCause != nil {
			if cause := r.opts.StopCause(); cause != "" {
				msg += " (" + cause + ")"
			}
		}
		r.stop(msg)
		return true
	default:
	}
	if t := r.timeout(s); !r.opts.End.IsZero() && s.When && r.now().Add(t).After(r.opts.End) {
		r.stop(fmt.Sprintf("the window ends at %s: %s (timeout %s) would run past it, so it was not started",
			r.opts.End.Format("15:04:05"), s.Address, fmtDuration(t)))
		return true
	}
	return false
}

// timeout is the step's timeout, as the runbook's loader set it (its
// timeout attribute, or its type's default): the runtime applies no default
// of its own (checkTimeouts).
func (r *runner) timeout(s *Step) time.Duration { return s.Timeout }

// checkTimeouts fails the run before it starts if a step has no timeout.
// Each step's timeout is decided once, where the step is decoded: a zero
// one here is the caller's mistake, and taking the type's default here
// would make the runtime a second owner of that default.
func (r *runner) checkTimeouts() bool {
	for i := range r.rb.Steps {
		if s := &r.rb.Steps[i]; s.Timeout <= 0 {
			r.fail(OutcomeError, fmt.Sprintf("step %s has no timeout; nothing was done", s.Address),
				"the runbook's loader gives every step its timeout attribute, or its type's default")
			return false
		}
	}
	return true
}

func (r *runner) stop(why string) {
	r.res.Outcome = OutcomeStopped
	r.res.Message = why
	r.emit(Event{Type: EventStop, Time: r.now(), Message: why})
}

func (r *runner) logf(format string, args ...any) {
	e := Event{Type: EventLog, Time: r.now(), Message: fmt.Sprintf(format, args...)}
	if r.cur != nil {
		e.Step = r.cur.Address
	}
	r.emit(e)
}

func (r *runner) onChange(t time.Time, c Change) {
	var steps *[]Change
	if r.cur != nil {
		steps = &r.cur.Changes
	}
	kept := r.changes.keep(steps, c)
	e := Event{Type: EventChange, Time: t, Message: r.texts.change(kept), Change: kept, Alarm: kept.Alarming()}
	if r.cur != nil {
		e.Step = r.cur.Address
	}
	r.journalChange(&e)
	r.emit(e)
}

// changeArena keeps a run's changes in chunks, each change once: a step's
// report lists its changes as a slice of a chunk, and each change event
// points to its entry. A chunk never grows, so what was handed out stays
// valid; the changes of a step that fill a chunk move, with their step's
// list, to a new one twice as large (the events keep pointing to the old
// entries, equal to the new ones).
type changeArena struct {
	chunk []Change
	// newChunk, if set, returns an empty chunk of at least changeChunk
	// made ready elsewhere (State.changeChunk), or nil.
	newChunk func() []Change
}

// fresh returns an empty chunk of at least size changes.
func (a *changeArena) fresh(size int) []Change {
	if a.newChunk != nil && size <= readyChanges {
		if c := a.newChunk(); cap(c) >= size {
			return c
		}
	}
	return make([]Change, 0, size)
}

// changeChunk is how many changes the first chunks hold.
const changeChunk = 256

// keep stores c, appended to *list if list is not nil, and returns a
// pointer to it. *list is a slice of the current chunk with no room to
// grow: a caller's append to it copies it.
func (a *changeArena) keep(list *[]Change, c Change) *Change {
	var cur []Change
	if list != nil {
		cur = *list
	}
	n := len(a.chunk)
	// The list continues where it ends in the chunk: the chunk's last
	// entries are the list's, or the list is empty.
	contiguous := len(cur) == 0 || n >= len(cur) && &a.chunk[n-len(cur)] == &cur[0]
	if n == cap(a.chunk) || !contiguous {
		size := changeChunk
		if list != nil && 2*len(cur)+1 > size {
			size = 2*len(cur) + 1
		}
		a.chunk = a.fresh(size)
		if list != nil {
			a.chunk = append(a.chunk, cur...)
		}
		n = len(a.chunk)
	}
	a.chunk = append(a.chunk, c)
	if list != nil {
		start := n - len(cur)
		*list = a.chunk[start : n+1 : n+1]
	}
	return &a.chunk[n]
}

// reserve makes room in the current chunk for n more changes of *list, so
// that a status read that reports thousands (a media upgrade's) moves the
// step's list once rather than at each doubling.
func (a *changeArena) reserve(list *[]Change, n int) {
	cur := *list
	k := len(a.chunk)
	contiguous := len(cur) == 0 || k >= len(cur) && &a.chunk[k-len(cur)] == &cur[0]
	if contiguous && cap(a.chunk)-k >= n {
		return
	}
	a.chunk = a.fresh(len(cur) + n + max(len(cur), changeChunk))
	if len(cur) > 0 {
		a.chunk = append(a.chunk, cur...)
		*list = a.chunk[:len(cur):len(cur)]
	}
}

// step runs one step; it reports whether the run goes on. earlier is the
// status an earlier run left the step in, "" if none: it was in flight,
// failed or in doubt, and is settled from the cluster's status first.
func (r *runner) step(s *Step, earlier string) bool {
	wide := earlier != ""
	typ, ok := r.opts.Registry[s.Type]
	if !ok {
		r.fail(OutcomeFailed, fmt.Sprintf("%s: unknown step type %q", s.Address, s.Type), "")
		return false
	}
	in := &s.Instance
	var nodes, resources map[string]bool
	if wide {
		var all bool
		nodes, resources, all = scopeOf(r.rb.Cluster, typ, in, true)
		if all {
			for _, res := range r.rb.Cluster.Resources {
				resources[res.Name] = true
			}
		}
	}
	r.res.Steps = append(r.res.Steps, StepReport{Address: s.Address})
	r.cur = &r.res.Steps[len(r.res.Steps)-1]
	defer func() { r.cur = nil }()
	start := r.now()
	r.cur.Start = start
	r.obs.begin(nodes, resources)

	var doubts []DoubtfulOp
	if wide && r.opts.State != nil {
		doubts = r.endedWithRun(InDoubt(r.opts.State.Records(), s.Address))
		if err := r.awaitCommands(s, doubts); err != nil {
			return r.settle(s, StatusInDoubt, start, err, "")
		}
		var err error
		if doubts, err = r.settleGated(s, doubts); err != nil {
			r.fail(OutcomeError, err.Error(), "")
			return false
		}
	}
	r.resumeEnv(s, wide)

	st, err := r.obs.Status(r.ctx)
	if err != nil {
		r.fail(OutcomeError, fmt.Sprintf("%s: cannot read the cluster's status: %v", s.Address, err), "")
		return false
	}
	if wide {
		if typ.Done(r.env, st, in) {
			return r.settle(s, StatusDone, start, nil, "already done: its postcondition holds (settled from the cluster's status, not run again)")
		}
		why := "was interrupted"
		switch earlier {
		case StatusFailed:
			why = "failed in an earlier run"
		case StatusInDoubt:
			why = "was left in doubt"
		}
		r.emit(Event{Type: EventLog, Time: r.now(), Step: s.Address, Message: why + " and its postcondition does not hold: running it again from where it stopped"})
		if len(doubts) > 0 {
			var ops []string
			for _, d := range doubts {
				why := "its run died while it ran: not issued again"
				if d.Ended {
					why = "stopped before it reported"
				}
				ops = append(ops, fmt.Sprintf("%s (%s)", d.Op, why))
			}
			r.emit(Event{Type: EventLog, Time: r.now(), Step: s.Address, Message: fmt.Sprintf("in doubt from an earlier attempt: %s; the step waits for the effect at most %s without a change in the cluster (--reissue %s issues it again)",
				strings.Join(ops, ", "), fmtDuration(r.obs.settle), s.Address)})
		}
	}

	var problems []string
	for _, p := range typ.Check(r.env, st, in) {
		if p.Warning {
			r.emit(Event{Type: EventWarning, Time: r.now(), Step: s.Address, Message: p.Error()})
			continue
		}
		problems = append(problems, p.Error())
	}
	if len(problems) > 0 {
		return r.settle(s, StatusFailed, start, &problemsError{problems}, "")
	}
	if r.opts.Plan && !typ.Mutates() {
		// No effect on the model of the cluster: planning must not run it
		// (it would ask the operator, or run a local command).
		r.cur.NotRun, r.cur.NoEffect = true, noEffect(typ)
		note := "not run while planning: it has no effect on the cluster"
		if r.cur.NoEffect != "" {
			note += " (it " + r.cur.NoEffect + ")"
		}
		return r.settle(s, StatusDone, start, nil, note)
	}

	r.emit(Event{Type: EventStep, Time: r.now(), Step: s.Address, Status: StatusStarted, Message: "started"})
	if err := r.journal(Record{Address: s.Address, Status: StatusStarted}); err != nil {
		r.fail(OutcomeError, err.Error(), "")
		return false
	}
	if !typ.Mutates() && r.opts.State != nil {
		// It asks the operator, or runs a command of its own: what the
		// run has done so far is written before it, not held back.
		if err := r.opts.State.Flush(); err != nil {
			r.fail(OutcomeError, err.Error(), "")
			return false
		}
	}
	timeout := r.timeout(s)
	deadline := r.now().Add(timeout)
	// The step's context ends at its deadline on the wall clock too, so that
	// a command that does not answer is stopped at the step's timeout (the
	// driver's clock may be virtual: the deadline is the same distance away).
	// A step that only acts through a driver whose operations start no
	// command and never wait on the wall clock (the simulator) has nothing
	// to stop there: it runs under the run's context.
	stepCtx, cancel := r.ctx, context.CancelFunc(func() {})
	if !r.obs.noCommands || !typ.Mutates() {
		stepCtx, cancel = context.WithDeadline(r.ctx, time.Now().Add(timeout))
	}
	r.lastOp = ""
	r.obs.expect(doubts)
	runErr := typ.Run(stepCtx, r.env, in, deadline)
	r.obs.disarm()
	timedOut := stepCtx.Err() != nil && r.ctx.Err() == nil
	cancel()
	if timedOut && runErr != nil && (errors.Is(runErr, context.DeadlineExceeded) && !errors.Is(runErr, cluster.ErrInDoubt)) {
		runErr = fmt.Errorf("did not finish within its timeout of %s: %w", fmtDuration(timeout), runErr)
	}
	if r.after == nil {
		r.after = context.WithoutCancel(r.ctx)
	}
	st, err = r.obs.Status(r.after)
	if runErr == nil {
		switch {
		case err != nil:
			runErr = fmt.Errorf("cannot read the cluster's status after the step: %w", err)
		case typ.Mutates() && !typ.Done(r.env, st, in):
			// A step that changes no cluster state (approve, exec) has no
			// postcondition to read from the cluster.
			runErr = errors.New("the step returned, but its postcondition does not hold")
		}
	}
	if runErr != nil && r.ctx.Err() != nil {
		runErr = &abortedError{cause: context.Cause(r.ctx), op: r.lastOp, err: runErr}
	}
	switch {
	case runErr == nil:
		return r.settle(s, StatusDone, start, nil, "")
	case errors.Is(runErr, steps.ErrStop) && r.ctx.Err() == nil:
		// The operator stopped here: the step stays started, so that the
		// resumed run runs it again (and asks again).
		r.cur.Duration = r.now().Sub(start)
		r.obs.end()
		r.stop(fmt.Sprintf("stopped at %s: %v", s.Address, runErr))
		return false
	case r.ctx.Err() != nil || errors.Is(runErr, cluster.ErrInDoubt):
		return r.settle(s, StatusInDoubt, start, runErr, "")
	default:
		return r.settle(s, StatusFailed, start, runErr, "")
	}
}

// noEffect is what a step type that does not mutate the cluster does
// instead, if it says.
func noEffect(typ steps.Type) string {
	if n, ok := typ.(steps.PlanNoter); ok {
		return n.PlanNote()
	}
	return ""
}

// abortedError is the error of a step whose run was cancelled (a second
// interrupt): why, and what was in flight.
type abortedError struct {
	cause error  // context.Cause of the run's context
	op    string // the last operation the step issued, "" if none
	err   error  // what the step returned
}

func (e *abortedError) Error() string {
	why := "aborted"
	if e.cause != nil && !errors.Is(e.cause, context.Canceled) {
		why = e.cause.Error()
	}
	what := strings.TrimSuffix(strings.TrimSuffix(e.err.Error(), context.Canceled.Error()), ": ")
	switch {
	case what != "":
		// The step says what it was doing ("leave FS1: command ... was
		// interrupted").
	case e.op != "":
		what = fmt.Sprintf("the step was waiting for the effect of %s", e.op)
	default:
		what = "the step had issued no operation yet"
	}
	return why + ": " + what
}

func (e *abortedError) Unwrap() error { return e.err }

// settle journals the step's outcome and reports it; it reports whether the
// run goes on.
func (r *runner) settle(s *Step, status string, start time.Time, err error, note string) bool {
	end := r.now()
	continued := status == StatusFailed && s.OnFailure == "continue" && !typeMutates(r.opts.Registry, s.Type)
	rec := Record{Address: s.Address, Status: status, Time: end, Started: take(&r.times, start), Changes: r.obs.end(), Continued: continued}
	rec.Outages = r.obs.ledger()
	if rec.Changes.Empty() {
		rec.Changes = nil
	}
	if err != nil {
		rec.Error = err.Error()
	}
	if jerr := r.journal(rec); jerr != nil {
		r.fail(OutcomeError, jerr.Error(), "")
		return false
	}
	r.cur.Status, r.cur.Duration = status, end.Sub(start)
	if Settled(rec) && r.opts.State != nil {
		// The Ran files of commands a dead run left have served.
		for _, ran := range r.opts.State.RanFiles(s.Address) {
			_ = os.Remove(ran)
		}
	}
	ev := Event{Type: EventStep, Time: end, Step: s.Address, Status: status, Duration: take(&r.durations, Seconds(end.Sub(start).Seconds()))}
	switch status {
	case StatusDone:
		r.res.Done++
		r.res.Last = s.Address
		ev.Message = r.texts.joinDuration("done in ", end.Sub(start))
		if note != "" {
			ev.Message = note
		}
		r.emit(ev)
		return true
	case StatusInDoubt:
		r.res.InDoubt++
		r.cur.Error = err.Error()
		ev.Message, ev.Alarm = "in doubt: "+err.Error(), true
		ev.Detail = "the operation may have taken effect; the next run settles the step by reading the cluster's status, and runs it again only if its postcondition does not hold"
		var ue *unsettledError
		if errors.As(err, &ue) {
			ev.Detail = fmt.Sprintf("check on the cluster whether %s took effect, or is still at work; then run again to wait again for its effect, or run with --reissue %s to issue it again (--settle-timeout sets how long a run waits)",
				strings.Join(ue.ops, ", "), s.Address)
		}
		r.emit(ev)
		if r.ctx.Err() != nil {
			r.res.Outcome = OutcomeInterrupted
			r.res.Message = fmt.Sprintf("interrupted during %s, which is in doubt", s.Address)
		} else {
			r.res.Outcome = OutcomeFailed
			r.res.Message = fmt.Sprintf("%s is in doubt", s.Address)
		}
		return false
	}
	r.res.Failed++
	r.cur.Error = err.Error()
	ev.Message, ev.Alarm = "failed: "+err.Error(), true
	var pe *problemsError
	if errors.As(err, &pe) {
		ev.Message, ev.Problems = "failed: its preconditions do not hold", pe.list
	}
	if continued {
		r.cur.Continued = true
		ev.Detail = "on_failure = \"continue\": the run goes on, and later runs do not run the step again"
		r.emit(ev)
		return true
	}
	r.emit(ev)
	r.res.Outcome = OutcomeFailed
	r.res.Message = fmt.Sprintf("%s failed", s.Address)
	return false
}

// settledSteps tells, for each of the runbook's steps, whether the
// journal's last record of it settles it (State.Settled) at the run's end:
// told by the steps the run reports (each journaled before it is reported)
// and the journal as the run found it, without a look at the journal.
func (r *runner) settledSteps() []bool {
	out := make([]bool, len(r.rb.Steps))
	if r.earlier == nil && r.opts.State != nil {
		// The run ended before it read the journal.
		for i, s := range r.rb.Steps {
			out[i] = r.opts.State.Settled(s.Address)
		}
		return out
	}
	// The run reports the steps it ran, or found skipped, in the
	// runbook's order, each once.
	ran := r.res.Steps
	for i, s := range r.rb.Steps {
		if len(ran) > 0 && ran[0].Address == s.Address {
			out[i] = Settled(Record{Status: ran[0].Status, Continued: ran[0].Continued})
			ran = ran[1:]
			continue
		}
		if rec, ok := r.earlier[s.Address]; ok {
			out[i] = Settled(rec)
		}
	}
	return out
}

func typeMutates(reg steps.Registry, name string) bool {
	t, ok := reg[name]
	return !ok || t.Mutates()
}

// finish fills in the summary: what is left, downtime, resources left
// offline.
func (r *runner) finish() {
	res := r.res
	res.End = r.now()
	if res.Outcome == "" {
		res.Outcome = OutcomeError
	}
	settled := r.settledSteps()
	for i, s := range r.rb.Steps {
		if settled[i] {
			continue
		}
		res.Left++
		if res.Next == "" {
			res.Next = s.Address
		}
		if s.When {
			res.LeftPredicted += r.opts.Predicted[s.Address]
		}
	}
	if dr, ok := r.opts.Driver.(cluster.DowntimeReporter); ok {
		res.Downtime = dr.Downtime()
	} else if r.obs != nil {
		res.Downtime = r.obs.measuredDowntime()
	}
	if r.obs == nil {
		return
	}
	// Say which resources the run leaves not running.
	if st, err := r.opts.Driver.Status(context.WithoutCancel(r.ctx)); err == nil {
		for _, name := range offline(st) {
			if rs := st.Resources[name]; rs.State != cluster.ResourceRunning {
				res.Offline = append(res.Offline, name)
				who := "it was not taken offline by this run"
				if r.obs.offlined(name) {
					who = "this run took it offline"
				}
				r.emit(Event{Type: EventWarning, Time: r.now(), Message: fmt.Sprintf("resource %s is left %s: %s", name, resourceWhere(rs.State, rs.Node), who), Alarm: true})
			}
		}
	}
}

// offline returns the resources of st that are not running, sorted: what
// ResourceNames lists that is not running, without sorting the rest.
func offline(st *cluster.Status) []string {
	var out []string
	for name, rs := range st.Resources {
		if rs.State != cluster.ResourceRunning {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// running reports whether the command of an operation in doubt may still
// run: its process group, on this machine and boot, is alive. elsewhere is
// set when it ran on another machine (or boot), where this run cannot look.
func (d DoubtfulOp) running() (alive, elsewhere bool) {
	if d.Pgid <= 0 || d.Ended {
		return false, false
	}
	host, _ := os.Hostname()
	if d.Host != host {
		return false, true
	}
	if d.Boot != procgroup.BootID() {
		return false, false // that boot is over: so is the command
	}
	return procgroup.Alive(d.Pgid), false
}

// awaitCommands waits, before a resumed step reads the cluster, until the
// commands of its operations in doubt that still run have ended, bounded by
// the step's timeout: they may still be acting on the cluster.
func (r *runner) awaitCommands(s *Step, doubts []DoubtfulOp) error {
	timeout := r.timeout(s)
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	poll := r.opts.Poll
	if poll <= 0 || poll > time.Second {
		poll = time.Second
	}
	for _, d := range doubts {
		alive, elsewhere := d.running()
		if elsewhere {
			r.logf("the command of %s ran on %s (process group %d): this run cannot see whether it still runs there; check it", d.Op, d.Host, d.Pgid)
			continue
		}
		if !alive {
			continue
		}
		r.logf("the command of %s that an earlier run started (process group %d) is still running: waiting for it to end (at most %s, the step's timeout) before reading the cluster's status", d.Op, d.Pgid, fmtDuration(timeout))
		for procgroup.Alive(d.Pgid) {
			if err := (cluster.WallClock{}).Sleep(ctx, poll); err != nil {
				if r.ctx.Err() != nil {
					return &abortedError{cause: context.Cause(r.ctx), op: d.Op, err: fmt.Errorf("waiting for the command of %s (process group %d), which an earlier run started", d.Op, d.Pgid)}
				}
				return fmt.Errorf("the command of %s that an earlier run started (process group %d) still runs after the step's timeout of %s: check what it does, stop it if it hangs (kill -TERM -- -%d), then run again: %w",
					d.Op, d.Pgid, fmtDuration(timeout), d.Pgid, cluster.ErrInDoubt)
			}
		}
		r.logf("the command of %s that an earlier run started has ended", d.Op)
	}
	return nil
}

// checkReissue checks the steps named by Options.Reissue, and returns the
// reissue records to journal. Each must have operations in doubt whose
// commands no longer run.
func (r *runner) checkReissue(recs []Record) ([]Record, bool) {
	if len(r.opts.Reissue) == 0 {
		return nil, true
	}
	who := CurrentHolder("")
	var out []Record
	for _, addr := range r.opts.Reissue {
		if err := CheckReissue(recs, addr); err != nil {
			r.fail(OutcomeError, err.Error(), "")
			return nil, false
		}
		var ops []string
		for _, d := range InDoubt(recs, addr) {
			if alive, _ := d.running(); alive {
				r.fail(OutcomeError, fmt.Sprintf("--reissue %s: the command of %s that an earlier run started (process group %d) is still running; nothing was done", addr, d.Op, d.Pgid),
					fmt.Sprintf("wait for it to end, or stop it (kill -TERM -- -%d), then run again", d.Pgid))
				return nil, false
			}
			ops = append(ops, d.Op)
		}
		out = append(out, Record{Type: RecordReissue, Address: addr, Ops: ops, User: who.User, Host: who.Host})
	}
	return out, true
}

// CheckReissue says why the step at addr cannot be issued again with run
// --reissue: it is not in doubt (no operation of it has an unknown
// outcome). nil when it can.
func CheckReissue(recs []Record, addr string) error {
	if len(InDoubt(recs, addr)) > 0 {
		return nil
	}
	status := StepStatuses(recs)[addr].Status
	if status == "" {
		status = StatusPending
	}
	return fmt.Errorf("--reissue %s: the step is not in doubt (it is %s, and no operation of it has an unknown outcome), so there is nothing to issue again; run without --reissue", addr, status)
}

// settleGated settles the operations in doubt whose commands, held at the
// driver's gate until their start was journaled, have ended without
// passing it (the run died before it opened the gate): they never acted.
// It journals that, and returns the operations still in doubt.
func (r *runner) settleGated(s *Step, doubts []DoubtfulOp) ([]DoubtfulOp, error) {
	var out []DoubtfulOp
	for _, d := range doubts {
		if alive, elsewhere := d.running(); d.Gated && d.Ran != "" && !d.Ended && !alive && !elsewhere {
			if _, err := os.Stat(d.Ran); errors.Is(err, os.ErrNotExist) {
				if err := r.journal(Record{Type: RecordOpEnd, Address: s.Address, Op: d.Op, Outcome: OpNotRun}); err != nil {
					return nil, err
				}
				r.logf("%s, which an earlier run started, ended before it acted (the run died before it let the command go on): it is not in doubt", d.Op)
				continue
			}
		}
		out = append(out, d)
	}
	return out, nil
}
