package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
	"github.com/runbookhq/runbook/runtime/report"
)

// fleetRetry is how long a fleet waits before it tries again to claim a
// cluster whose run another process holds.
const fleetRetry = 2 * time.Second

func (a *app) fleetCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "fleet",
		Short: "Run many clusters' runbooks in one window, a few clusters at a time",
		Long: `A fleet is many clusters, each with its own runbook (a file or a directory,
one PATH a cluster). fleet run rolls them with a cap on how many roll at
once and a stop when too many fail; fleet status shows where each stands.`,
	}
	c.AddCommand(a.fleetRunCommand(), a.fleetStatusCommand())
	return c
}

func (a *app) fleetRunCommand() *cobra.Command {
	var args fleetRunArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "run [flags] PATH...",
		Short: "Roll many clusters, each by its own runbook, at most N at once",
		Long: `Fleet run validates every cluster's runbook first: an invalid one is reported
and counts as a failure, and the others still run. It then starts the
clusters in the order given, at most --max-concurrency at once; each rolls
as runbook run would roll it (one node at a time, by its own runbook), with
its own state, lock and driver, and resumes from its own journal.

When failures reach M (--max-failures), no new cluster starts; the clusters
already rolling finish their step in flight and stop, as a Ctrl-C would stop
them. The failures are the fleet's, counted across every runner sharing its
state, in the window of the runners live together (the README's Fleet
section). M=0 stops at the first failure, like M=1; with M=3 the third failure
stops new starts. A failure is an invalid runbook, a cluster whose run fails
(a failed step, a changed cluster, an error), or a cluster that cannot be
opened. A cluster whose state another process holds is skipped and tried
again later.

Several fleet runs started with the same arguments and the same state share
the work and the cap: on one machine with --state DIR, on several with
--state etcd://HOST:PORT[,...]/PREFIX. The clusters of a runner that dies are
taken over by the others once their leases expire (--lock-ttl), each resumed
from its journal. A command a dead runner started that outlives it (the exec
driver's, in its own process group) keeps its slot of the cap until it ends.

--until and --window admit a cluster's next step only if it fits, on its
driver's clock. A first Ctrl-C (or SIGTERM, SIGQUIT, SIGHUP) stops every
cluster after its step in flight; a second one aborts the steps in flight
(they are in doubt, settled by the next run).

Every line of output is prefixed with its cluster's name; each cluster's
output also goes to run.log in its state directory. On a terminal (without
NO_COLOR or --json), a progress area under the lines, redrawn in place,
shows each rolling cluster's step in flight and what it waits for, and the
fleet's clusters done, rolling, failed and waiting, and the window left.

Exit status: 0 every cluster completed, 1 a cluster failed (or was invalid),
2 usage error, 3 stopped on purpose before the end (Ctrl-C, the window):
run the same command to resume.`,
		Example: `  runbook fleet run --auto-approve --max-concurrency 4 --max-failures 2 clusters/*/
  runbook fleet run --driver sim --auto-approve --state /tmp/rehearsal east.hcl west.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.fleetRun(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// Where a fleet's cluster ended.
const (
	fleetDone       = "done"
	fleetFailed     = "failed"
	fleetStopped    = "stopped"
	fleetNotStarted = "not-started"
)

// fleetCluster is one cluster of a fleet: its runbook and how its run
// ended.
type fleetCluster struct {
	Path string
	// Name is the runbook's name, or its path if it is invalid.
	Name   string
	rb     *lang.Runbook
	rrb    *runtime.Runbook
	driver string
	// kind is the driver's kind.
	kind drivers.Kind
	dir  string
	// stateName is its state's name under the fleet's --state.
	stateName string
	store     runtime.Store
	hidden    *redact.Redactor
	// out and errOut are the cluster's output, each line prefixed with
	// its name; flush writes what they hold back.
	out, errOut io.Writer
	flush       func()

	// heldElsewhere is set once another process was found holding the
	// cluster's state.
	heldElsewhere bool

	Outcome string
	// Reason says why a cluster failed or stopped.
	Reason string
	Result *runtime.Result
}

// fleetRunner is one `fleet run`: its clusters and what they share.
type fleetRunner struct {
	a       *app
	args    *fleetRunArgs
	command string
	ctx     context.Context
	// started is when the fleet started, on the wall clock: --window
	// counts from it.
	started time.Time
	// stop is closed when every cluster must stop after its step in
	// flight: a signal, or the failures reaching the limit.
	stop     chan struct{}
	stopOnce sync.Once
	// why says why stop was closed.
	why string
	// promptMu lets one cluster at a time ask on the terminal.
	promptMu  sync.Mutex
	sigStop   chan struct{}
	view      fleetView
	clusters  []*fleetCluster
	failures  int
	confirmed *runtime.Approval
	// slots are the fleet's cap.
	slots fleetSlots
	// fails are the fleet's failures, shared by the runners that share
	// its state.
	fails runtime.Failures
	// holder is this runner, as the work it keeps in its slots names it.
	holder runtime.Holder
	// byState are the valid clusters by state name; rolling, those
	// rolling here (read and written by dispatch only).
	byState map[string]*fleetCluster
	rolling map[*fleetCluster]bool
	// outlivedLeft are the clusters whose commands, which outlived an
	// earlier run, may hold slots of this process's cap (without shared
	// slots).
	outlivedLeft []*fleetCluster
	// slotHeld says, by slot, why the last look found it held by the work
	// its last holder kept; slotShort, in short, for the live view.
	slotHeld, slotShort map[int]string
}

// stopAll stops the fleet; it reports whether this call stopped it.
func (f *fleetRunner) stopAll(why string) (stopped bool) {
	f.stopOnce.Do(func() {
		f.why = why
		close(f.stop)
		stopped = true
	})
	return stopped
}

func (a *app) fleetRun(args *fleetRunArgs) int {
	stdout, stderr, flush := newRunOutputs(a.stdout, a.stderr)
	defer flush()
	a.stdout, a.stderr = stdout, stderr
	out, errOut := &lineSink{w: stdout}, &lineSink{w: stderr}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	f := &fleetRunner{a: a, args: args, ctx: ctx, stop: make(chan struct{}), sigStop: make(chan struct{}),
		command: commandLine(a.argv), started: time.Now(), byState: map[string]*fleetCluster{}, rolling: map[*fleetCluster]bool{}, slotHeld: map[int]string{}, slotShort: map[int]string{}}
	f.holder = runtime.CurrentHolder(f.command)
	f.view = a.fleetViewFor(args, out, errOut)
	var sigName string // the fleet says "interrupted" whatever the signal
	stopSignals := a.onSignals(f.sigStop, &sigName, cancel, func(msg string) { f.view.Notice(msg) })
	defer stopSignals()
	go func() {
		select {
		case <-f.sigStop:
			f.stopAll("interrupted")
		case <-f.stop:
		}
	}()

	// Every runbook is validated first.
	names := map[string]string{}
	for _, path := range args.Paths {
		c := f.load(path, out, errOut)
		f.clusters = append(f.clusters, c)
		if c.rb == nil {
			continue
		}
		if other, ok := names[c.Name]; ok && args.State != "" {
			a.messages().SameName(other, path, c.Name)
			return exitUsage
		}
		names[c.Name] = path
		f.byState[c.stateName] = c
	}
	defer func() {
		for _, c := range f.clusters {
			c.flush()
			if c.store != nil {
				closeStore(c.store)
			}
		}
	}()

	f.confirmed = &runtime.Approval{Time: time.Now(), Answer: "--auto-approve"}
	if !args.AutoApprove {
		if !a.interactive {
			a.messages().NoTerminal("fleet run")
			return exitFailed
		}
		f.showPlan()
		ok, err := a.confirm(ctx, f.sigStop, "Do you want to roll these clusters? Only 'yes' will be accepted:", "Enter a value:")
		if !ok {
			a.messages().Cancelled("Fleet run", err)
			return exitFailed
		}
		f.confirmed = &runtime.Approval{Time: time.Now(), Answer: "yes"}
	}

	f.slots = &processSlots{n: args.MaxConcurrency}
	f.fails = &processFailures{}
	if isStoreURL(args.State) {
		// Fleet runs sharing a store share the cap, if the store keeps
		// slots.
		root, err := a.openStore(args.State)
		if err != nil {
			a.messages().Error(err)
			return exitFailed
		}
		defer closeStore(root)
		if ss, ok := root.(runtime.SlotStore); ok {
			slots := ss.Slots("fleet", args.MaxConcurrency, args.LockTTL, f.holder)
			defer slots.Close()
			f.slots = slots
		} else {
			f.notices().NoSharedSlots(root.Where(""), args.MaxConcurrency)
		}
		if fs, ok := root.(runtime.FailureStore); ok {
			fails, err := fs.Failures(args.LockTTL, f.holder)
			if err != nil {
				a.messages().FleetFailures(err)
				return exitFailed
			}
			defer fails.Close()
			f.fails = fails
		} else {
			f.notices().NoSharedFailures(root.Where(""), args.MaxFailures)
		}
	}
	if args.State != "" && !isStoreURL(args.State) {
		// Fleet runs sharing a --state directory share the cap.
		slots, err := newFileSlots(fleetSlotsDir(args.State), args.MaxConcurrency)
		if err != nil {
			a.messages().Error(err)
			return exitFailed
		}
		f.slots = slots
		fails, err := openFileFailures(args.State)
		if err != nil {
			a.messages().FleetFailures(err)
			return exitFailed
		}
		defer fails.Close()
		f.fails = fails
	}
	if ps, ok := f.slots.(*processSlots); ok {
		// No slot keeps its work beyond this process: a command an
		// earlier run of these clusters started holds a slot while it runs.
		if f.outlivedLeft = f.outlived(); len(f.outlivedLeft) > 0 {
			ps.held = f.outlivedHolds
		}
	}
	for _, c := range f.clusters {
		if c.rb == nil {
			f.failed(c, "the runbook is invalid")
		}
	}
	f.dispatch()
	return f.view.Summary(f)
}

// failed counts a failure of c, and records it in the fleet's failures
// (once, whichever runner records it); once the fleet's failures reach the
// limit, no new cluster starts and those rolling stop.
func (f *fleetRunner) failed(c *fleetCluster, reason string) {
	c.Outcome, c.Reason = fleetFailed, reason
	f.failures++
	if err := f.fails.Record(c.Name); err != nil {
		f.notices().FailureNotRecorded(c.Name, err)
		f.stopAll("the fleet's failures cannot be recorded")
		return
	}
	f.checkFailures(c.Name + " failed: " + reason + ". ")
}

// checkFailures reads the fleet's failure count, the failures of every
// runner sharing its state, and stops the fleet once they reach the limit.
func (f *fleetRunner) checkFailures(what string) {
	n, err := f.fails.Count()
	if err != nil {
		f.notices().FailuresNotRead(err)
		f.stopAll("the fleet's failures cannot be read")
		return
	}
	if n >= f.args.failureLimit() && f.stopAll(fmt.Sprintf("failures reached --max-failures %d", f.args.MaxFailures)) {
		f.notices().FailureLimit(what, n, f.args.MaxFailures)
	}
}

// load loads and validates a cluster's runbook. Its diagnostics go to
// errOut, prefixed with the cluster's name.
func (f *fleetRunner) load(path string, out, errOut *lineSink) *fleetCluster {
	a := f.a
	c := &fleetCluster{Path: path, Name: path}
	rb, diags := a.load(path, lang.Options{Registry: a.registry, Env: os.Environ(), RequireValues: true})
	if rb != nil && rb.Name != "" {
		c.Name = rb.Name
	}
	c.hidden = redact.New(nil)
	if rb != nil {
		c.hidden = redact.New(rb.Secrets())
	}
	prefix := c.Name + " | "
	if f.args.View == viewJSON {
		prefix = ""
	}
	hout := c.hidden.NewWriter(&prefixWriter{prefix: prefix, sink: out})
	herr := c.hidden.NewWriter(&prefixWriter{prefix: c.Name + " | ", sink: errOut})
	c.out, c.errOut = hout, herr
	c.flush = func() {
		hout.Flush()
		herr.Flush()
		hout.Unwrap().(*prefixWriter).Flush()
		herr.Unwrap().(*prefixWriter).Flush()
	}
	var files map[string]*hcl.File
	if rb != nil {
		files = rb.Files
	}
	if len(diags) > 0 {
		p := &diagPrinter{w: c.errOut, files: files, width: columns(a.stderr), color: a.color,
			hint: fmt.Sprintf("`runbook validate --json %s` lists them all", path)}
		p.write(diags)
	}
	if diags.HasErrors() || rb == nil {
		errs, _ := countDiags(diags)
		c.messages().InvalidCluster(path, errs)
		f.view.Invalid(c, diags)
		return c
	}
	c.driver = f.args.Driver
	if c.driver == "" {
		c.driver = rb.Driver
	}
	kind, err := f.a.driverKind(rb, c.driver)
	var store runtime.Store
	if err == nil {
		c.kind = kind
		store, err = f.a.openFleetState(f.args.State, rb, c.driver)
	}
	if err != nil {
		c.messages().NotOpened(err)
		f.view.Invalid(c, nil)
		return c
	}
	c.rb, c.rrb, c.store, c.stateName = rb, runtimeRunbook(rb), store, fleetStateName(rb, c.driver)
	c.dir = store.Where("")
	return c
}

// simulated reports whether the cluster runs on a simulator.
func (c *fleetCluster) simulated() bool { return c.kind != nil && drivers.Simulated(c.kind) }

// showPlan shows what each cluster would run, for the confirmation.
func (f *fleetRunner) showPlan() {
	plan := make([]fleetPlanCluster, len(f.clusters))
	for i, c := range f.clusters {
		plan[i] = fleetPlanCluster{Name: c.Name, Invalid: c.rb == nil}
		if c.rb == nil {
			continue
		}
		var total time.Duration
		for _, s := range f.a.predict(c.rb, c.rrb).Steps {
			total += s.Duration
		}
		recs, _ := runtime.ReadJournal(c.store)
		left := len(c.rrb.Steps)
		for _, rec := range runtime.StepStatuses(recs) {
			if runtime.Settled(rec) {
				left--
			}
		}
		plan[i].Left, plan[i].Steps, plan[i].Predicted, plan[i].Driver, plan[i].State = left, len(c.rrb.Steps), total, c.driver, c.dir
	}
	writeFleetPlan(f.a.stdout, plan, f.args.MaxConcurrency, f.args.failureLimit())
}

// notices are what the fleet says of itself, through its view.
func (f *fleetRunner) notices() fleetNotices { return fleetNotices{f.view} }

// messages are the cluster's messages, on its prefixed stdout and stderr.
func (c *fleetCluster) messages() messages { return messages{out: c.out, err: c.errOut} }

// attempt is one try of a cluster: locked is set when another process
// holds its state, and it was not run.
type attempt struct {
	c      *fleetCluster
	locked bool
}

// fleetSlotRetry is how long a fleet waits before it tries again for a
// slot that other processes hold.
const fleetSlotRetry = 250 * time.Millisecond

// fleetFailureCheck is how often a fleet reads the failures of the runners
// it shares its state with while its clusters roll.
const fleetFailureCheck = time.Second

// dispatch starts the clusters in order, each once it holds a slot of the
// cap, until every one has ended, or the fleet stops.
func (f *fleetRunner) dispatch() {
	queue := []*fleetCluster{}
	for _, c := range f.clusters {
		if c.rb != nil {
			queue = append(queue, c)
		}
	}
	var deferred []*fleetCluster
	results := make(chan attempt)
	running := 0
	var retry, slotRetry <-chan time.Time
	// Failures of the other runners stop this one too.
	tick := time.NewTicker(fleetFailureCheck)
	defer tick.Stop()
	stopping := func() bool {
		select {
		case <-f.stop:
			return true
		default:
			return false
		}
	}
	ended := func(r attempt) {
		running--
		delete(f.rolling, r.c)
		switch {
		case r.locked:
			r.c.heldElsewhere = true
			deferred = append(deferred, r.c)
		case r.c.Outcome == fleetFailed:
			f.failed(r.c, r.c.Reason)
		}
		f.stand(r.c, r.c.Outcome)
	}
	for {
		for !stopping() && running < f.args.MaxConcurrency && len(queue) > 0 && slotRetry == nil {
			c := queue[0]
			if f.checkFailures(""); stopping() {
				break
			}
			if rec, err := f.fails.Recorded(c.Name); err != nil || rec {
				if err != nil {
					f.notices().FailuresNotRead(err)
					f.stopAll("the fleet's failures cannot be read")
					break
				}
				// Failed on another runner in this window: counted, not
				// run again.
				queue = queue[1:]
				c.Outcome, c.Reason = fleetFailed, "failed on another runner"
				f.failures++
				f.view.Cluster(c, c.Reason)
				continue
			}
			if c.heldElsewhere && f.endedElsewhere(c) {
				queue = queue[1:]
				f.stand(c, c.Outcome)
				if c.Outcome == fleetFailed {
					f.failed(c, c.Reason)
				}
				continue
			}
			release, ok, err := f.slots.TryAcquire(f.slotWorkFor(c), f.slotBusy)
			if err != nil {
				f.notices().SlotsNotTaken(err)
				f.stopAll("the fleet's slots cannot be taken")
				break
			}
			if !ok {
				slotRetry = time.After(fleetSlotRetry)
				break
			}
			queue = queue[1:]
			running++
			f.rolling[c] = true
			f.stand(c, standRolling)
			go func() {
				r := f.roll(c)
				// A command that outlived the run (a second Ctrl-C, its
				// timeout passed) keeps holding the slot.
				release(r.locked || c.simulated() || !f.commandsLeft(c))
				results <- r
			}()
		}
		if running == 0 && (stopping() || len(queue)+len(deferred) == 0) {
			break
		}
		if len(deferred) > 0 && retry == nil {
			retry = time.After(fleetRetry)
		}
		select {
		case r := <-results:
			ended(r)
		case <-retry:
			retry = nil
			queue, deferred = append(queue, deferred...), nil
		case <-slotRetry:
			slotRetry = nil
		case <-tick.C:
			f.checkFailures("")
		case <-f.stop:
			// Nothing new starts; wait for those rolling.
			if running > 0 {
				ended(<-results)
			}
		}
	}
	for _, c := range f.clusters {
		if c.Outcome == "" {
			c.Outcome = fleetNotStarted
			if stopping() {
				c.Reason = f.why
			}
		}
	}
}

// endedElsewhere reports whether a cluster that another process held when
// this fleet run tried it has since been finished there: every step done
// (done), or its run ended failed (a failure, not run again here). A
// cluster whose run stopped or died there is taken over: it resumes here.
func (f *fleetRunner) endedElsewhere(c *fleetCluster) bool {
	recs, err := runtime.ReadJournal(c.store)
	if err != nil || !hasRun(recs) {
		return false
	}
	last := runtime.StepStatuses(recs)
	done := true
	for _, s := range c.rrb.Steps {
		if r, ok := last[s.Address]; !ok || !runtime.Settled(r) {
			done = false
		}
	}
	if done {
		c.Outcome, c.Reason = fleetDone, "finished by another runner"
		f.view.Cluster(c, "finished by another runner")
		return true
	}
	end := recs[len(recs)-1]
	if end.Type == runtime.RecordEnd && (end.Outcome == runtime.OutcomeFailed || end.Outcome == runtime.OutcomeDrift || end.Outcome == runtime.OutcomeError) {
		c.Outcome, c.Reason = fleetFailed, "failed on another runner: "+end.Message
		f.view.Cluster(c, c.Reason)
		return true
	}
	return false
}

// roll runs one cluster as `runbook run` would, and sets its outcome. A
// failure is counted by the caller.
func (f *fleetRunner) roll(c *fleetCluster) attempt {
	a, args := f.a, f.args
	var log *runLog
	opened, err := a.openRun(c.store, c.kind, c.hidden.String(f.command), c.rb, c.hidden, nil, f.confirmed, runtime.LockOptions{TTL: args.LockTTL}, func(st *runtime.State) error {
		var err error
		if log, err = openRunLog(st.Session(), c.hidden.String(f.command), c.hidden); err != nil {
			c.messages().NotLogged(err)
		}
		return nil
	}, nil)
	var locked *runtime.LockedError
	if errors.As(err, &locked) {
		if !c.heldElsewhere {
			f.notices().HeldElsewhere(c, locked.Holder)
		}
		return attempt{c: c, locked: true}
	}
	if log != nil {
		defer log.Close()
	}
	if err != nil {
		c.messages().Error(err)
		c.Outcome, c.Reason = fleetFailed, firstLine(err.Error())
		var drift drivers.DriftError
		if errors.As(err, &drift) {
			c.Reason = drift.Summary()
		}
		return attempt{c: c}
	}
	st, drv := opened.State, opened.Driver
	defer st.Close()
	defer func() {
		if err := opened.CloseDriver(); err != nil {
			c.messages().DriverNotClosed(c.driver, err)
		}
	}()
	out, errOut := c.out, c.errOut
	if log != nil {
		out, errOut = io.MultiWriter(c.out, log), io.MultiWriter(c.errOut, log)
	}
	view := f.view.ClusterView(c, out)
	if lc, ok := drv.(drivers.LeftoverClearer); ok {
		cctx, ccancel := context.WithTimeout(f.ctx, time.Minute)
		removed, err := lc.ClearLeftovers(cctx)
		ccancel()
		if len(removed) > 0 {
			view.Notice(leftoversSettled(removed))
		}
		if err != nil {
			messages{out: out, err: errOut}.Error(err)
			c.Outcome, c.Reason = fleetFailed, err.Error()
			return attempt{c: c}
		}
	}
	planned := a.predictEvents(c.rb, c.rrb)
	predicted := planned.predicted()
	prompt := a.approvePrompt(f.stop, c.Name+": ", &f.promptMu)
	end := windowEnd(drv.Now(), args.Until, windowLeft(args.Window, time.Since(f.started).Truncate(time.Minute)))
	prompt, waiting := liveCluster(view, st.Records(), predicted, end, prompt)
	res := runtime.Run(f.ctx, c.rrb, runtime.Options{
		Registry:       a.registry,
		Driver:         drv,
		State:          st,
		DriverName:     c.driver,
		Command:        c.hidden.String(f.command),
		RunbookVersion: c.rb.Version,
		RunbookSHA256:  runbookDigest(c.rb),
		Poll:           opened.Poll,
		Prompt:         auditPrompt(st, drv, prompt),
		AutoApprove:    args.AutoApprove,
		Rehearsal:      c.simulated() && c.driver != c.rb.Driver,
		Output:         errOut,
		Dir:            c.rb.Dir,
		Events:         view.Event,
		Stop:           f.stop,
		StopCause:      func() string { return "the fleet stopped: " + f.why },
		End:            end,
		Waiting:        waiting,
		Predicted:      predicted,
		Settle:         args.Settle,
		Crash:          runtime.FailpointsFromEnv().Func(),
	})
	if hasRunIn(st.RecordList()) {
		path := c.store.Where(runtime.ReportBlob)
		recs, err := runtime.ReadJournal(c.store)
		if err == nil {
			err = putReportHTML(st.Session(), report.Build(reportInput(c.rb, c.rrb, c.store, runtime.ListOf(recs), planned)))
		}
		if err != nil {
			messages{out: out, err: errOut}.NotWritten("the report", err)
		} else {
			view.Report(path)
		}
	}
	view.Summary(res)
	c.Result = res
	switch res.Outcome {
	case runtime.OutcomeCompleted:
		c.Outcome = fleetDone
	case runtime.OutcomeStopped, runtime.OutcomeInterrupted:
		c.Outcome, c.Reason = fleetStopped, res.Message
	default:
		c.Outcome, c.Reason = fleetFailed, res.Message
	}
	return attempt{c: c}
}
