package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
	"github.com/runbookhq/runbook/runtime/report"
)

func (a *app) runCommand() *cobra.Command {
	var args runArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "run [flags] PATH",
		Short: "Run a runbook's steps against the cluster, resuming where the last run stopped",
		Long: `Run validates the runbook, shows the plan and, once confirmed, runs the steps
in order through the driver (the runbook's own, or --driver): for each step it
checks the preconditions against the live cluster, acts, verifies the
postcondition and records the step in the journal of the state directory.

Run it again after any stop to resume: completed steps are skipped, a step
that was in flight is settled by reading the cluster, and the cluster is
first compared with what the journal expects.

A first Ctrl-C (or SIGTERM, SIGQUIT, SIGHUP) finishes the current step,
then stops; a second one (not a second SIGHUP) aborts the step: the command
in flight is killed, the step is recorded in doubt, and the next run settles
it by reading the cluster's status (it runs the step again only if its
postcondition does not hold). Both exit 3. At a prompt, the first stops at
once, approving nothing. With the exec driver, every command runs in its own
process group, so the Ctrl-C the terminal sends never reaches it, and is
logged to exec.log in the state directory.

A closed terminal or pipe never stops a step: all output also goes to run.log
in the state directory. For a window that a dropped connection must not
stop, run it in tmux or screen, or with nohup and --auto-approve.

Exit status: 0 completed, 1 invalid runbook, failed step, changed cluster or
lock held, 2 usage error, 3 stopped on purpose (Ctrl-C, --stop-after, the end
of the window): run the same command to resume.`,
		Example: `  runbook run --driver sim runbooks/netware65-rolling-upgrade.hcl   # a rehearsal
  runbook run --auto-approve --window 4h upgrade.hcl
  runbook run --driver sim --fault reboot-fails:FS2 --state /tmp/rehearsal upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.run(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

func (a *app) run(args *runArgs) int {
	// From the start, a closed or stalled stdout or terminal does not end
	// or hold up the run: its output goes on to run.log in the state
	// directory once that is open; and a signal stops the run in order
	// (onSignals).
	stdout, stderr, flush := newRunOutputs(a.stdout, a.stderr)
	defer func() {
		// What the writers that hide sensitive values (a.hide, around
		// these) hold back goes to the queue before it is flushed.
		a.flushHidden()
		flush()
	}()
	a.stdout, a.stderr = stdout, stderr
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := make(chan struct{})
	notices := &noticeBoard{w: stderr}
	var stopCause string // the signal that closed stop
	stopSignals := a.onSignals(stop, &stopCause, cancel, notices.notice)
	defer stopSignals()

	setRunCollector()
	loaded := offWhileLoading()
	// What the run's opening needs that depends only on the runbook (a
	// rehearsal's simulated cluster as declared, the live report's input)
	// is made while validate's abstract run goes on; it is used only once
	// the runbook is found valid.
	var ahead *openingAhead
	rb, diags := a.loadRunbookDiags(args.Path, args.Vars, true, func(rb *lang.Runbook) {
		ahead = a.prepareRun(rb, args)
	})
	loaded()
	if rb == nil {
		if args.View == viewJSON {
			writeDiagnosticsEvent(a.stdout, diags)
		}
		return a.notStarted(args, "the runbook is invalid; nothing was run", nil)
	}
	driver := args.Driver
	if driver == "" {
		driver = rb.Driver
	}
	kind, err := a.driverKind(rb, driver)
	if err != nil {
		return a.messages().Usage(err)
	}
	runCollector(drivers.Simulated(kind))
	if _, ok := kind.(drivers.FaultInjector); len(args.Faults) > 0 && !ok {
		return a.messages().Usage(fmt.Errorf("--fault only works with the simulator; this runbook uses the %s driver (add --driver %s to rehearse it)", driver, args.simulator()))
	}
	rrb := runtimeRunbook(rb)
	if err := checkRunTargets(args, rb, rrb); err != nil {
		return a.messages().Usage(err)
	}
	store, err := a.openState(args.State, rb, driver)
	if err != nil {
		return a.messages().Usage(err)
	}
	resume := a.resumeFor(rb, rrb, store)
	if resume != nil {
		resume.Settle, resume.Reissue = args.Settle, args.Reissue
	}
	if err := checkStopAfter(args, rrb, resume); err != nil {
		return a.messages().Usage(err)
	}

	confirmation := &runtime.Approval{Time: time.Now(), Answer: "--auto-approve"}
	// The plan, unless the run may be its own (run_plan.go).
	var planned *plannedRun
	var predicted map[string]time.Duration
	later := a.planLater(args, rrb, kind, resume)
	var model <-chan cluster.Driver
	if _, keeper := kind.(drivers.StateKeeper); later && !keeper {
		// Made while the state and the driver open. A simulator that
		// keeps its cluster in the state opens as the model is unless it
		// has kept one (openedAsModel), which the model then is made for.
		model = modelAhead(rb)
	} else if !later {
		planned = a.predictEvents(rb, rrb)
		predicted = planned.predicted()
	}
	if !args.AutoApprove {
		if !a.interactive {
			a.messages().NoTerminal("run")
			return a.notStarted(args, "no terminal to confirm the run on, and no --auto-approve; nothing was run", nil)
		}
		(&planHuman{w: a.stdout, color: a.color, resume: resume, registry: a.registry}).Plan(rb, rrb, planned.res)
		ok, err := a.confirm(ctx, stop, "Do you want to perform these steps? Only 'yes' will be accepted:", "Enter a value:")
		if !ok {
			a.messages().Cancelled("Run", err)
			return exitFailed
		}
		confirmation = &runtime.Approval{Time: time.Now(), Answer: "yes"}
	}

	hidden := redact.New(rb.Secrets())
	command := hidden.String(commandLine(a.argv))
	// The run log is open before the driver, so that what opening it says
	// is logged too.
	var closeLog func()
	defer func() {
		if closeLog != nil {
			closeLog()
		}
	}()
	lock := runtime.LockOptions{TTL: args.LockTTL, Wait: args.WaitLock, Waiting: func(h *runtime.Holder, left time.Duration) {
		a.messages().WaitingForLock(store.Where(""), h, left, args.WaitLock)
	}}
	opened, err := a.openRun(store, kind, command, rb, hidden, args.Faults, confirmation, lock, func(st *runtime.State) error {
		if log, err := openRunLog(st.Session(), command, hidden); err != nil {
			a.messages().NotLogged(err)
		} else {
			stdout.setLog(log)
			stderr.setLog(log)
			closeLog = func() {
				a.flushHidden()
				stdout.setLog(nil)
				stderr.setLog(nil)
				log.Close()
			}
		}
		for _, addr := range args.Reissue {
			if err := runtime.CheckReissue(st.Records(), addr); err != nil {
				return reissueError{err}
			}
		}
		return nil
	}, ahead)
	var locked *runtime.LockedError
	var reissue reissueError
	var drift drivers.DriftError
	switch {
	case errors.As(err, &locked):
		a.messages().Locked(err, args.Path)
		return a.notStarted(args, err.Error(), nil)
	case errors.As(err, &reissue):
		return a.messages().Usage(reissue.err)
	case errors.As(err, &drift):
		a.messages().Error(err)
		return a.notStarted(args, drift.Summary(), drift.Differences())
	case err != nil:
		a.messages().Error(err)
		return a.notStarted(args, strings.SplitN(err.Error(), "\n", 2)[0], nil)
	}
	st, drv := opened.State, opened.Driver
	defer st.Close()
	// The driver is closed at the end, or on a goroutine while the report
	// of a run that is its own plan is made (closed, below): the simulator
	// writes its cluster meanwhile.
	var closed chan struct{}
	var closeErr error
	defer func() {
		if closed == nil {
			closeErr = opened.CloseDriver()
		} else {
			<-closed
		}
		if closeErr != nil {
			a.messages().DriverNotClosed(driver, closeErr)
		}
	}()

	if later && !openedAsModel(drv, rb, model) {
		later, planned = false, a.predictEvents(rb, rrb)
		predicted = planned.predicted()
	}
	end := windowEnd(drv.Now(), args.Until, args.Window)

	view := a.runViewFor(args.View, drivers.Simulated(kind), rrb, st.Records(), predicted, end)
	notices.setView(view)

	if lc, ok := drv.(drivers.LeftoverClearer); ok {
		cctx, ccancel := context.WithTimeout(ctx, time.Minute)
		removed, err := lc.ClearLeftovers(cctx)
		ccancel()
		if len(removed) > 0 {
			view.Notice(leftoversSettled(removed))
		}
		if err != nil {
			a.messages().Error(err)
			return a.notStarted(args, err.Error(), nil)
		}
	}

	prompt := auditPrompt(st, drv, a.approvePrompt(stop, "", nil))
	events := view.Event
	var changes *changeRecorder
	if later {
		changes = &changeRecorder{}
		events = func(e runtime.Event) { changes.record(e); view.Event(e) }
	}
	var waiting func(step, what, pending string, now time.Time)
	if live, ok := view.(*runLive); ok {
		prompt, waiting = live.aroundPrompt(prompt), live.Waiting
	}
	var live *liveReport // the report made as the run goes
	if later && hidden == nil {
		live = startLiveReport(rb, rrb, store, st, changes, ahead.liveReport())
		defer live.end()
	}
	res := runtime.Run(ctx, rrb, runtime.Options{
		Registry:       a.registry,
		Driver:         drv,
		State:          st,
		DriverName:     driver,
		Command:        command,
		RunbookVersion: rb.Version,
		RunbookSHA256:  runbookDigest(rb),
		Poll:           opened.Poll,
		Prompt:         prompt,
		AutoApprove:    args.AutoApprove,
		Rehearsal:      drivers.Simulated(kind) && driver != rb.Driver,
		Output:         a.stderr,
		Dir:            rb.Dir,
		Events:         events,
		Waiting:        waiting,
		Stop:           stop,
		StopCause:      func() string { return stopCause },
		StopAfter:      args.StopAfter,
		End:            end,
		Predicted:      predicted,
		Settle:         args.Settle,
		Reissue:        args.Reissue,
		Crash:          runtime.FailpointsFromEnv().Func(),
		// The state's writer writes the run's last records while the
		// report is made of them in memory (liveReport.report); what reads
		// the store, below, has it pass them on first.
		HandOverLater: true,
	})
	// The driver is done: what closing it writes (the simulator's
	// snapshot) is made meanwhile, on the second processor.
	if p, ok := drv.(interface{ PrepareClose() }); ok {
		p.PrepareClose()
	}
	if later {
		planned = a.planOf(rb, rrb, res, changes, st.Settled)
	}
	if live != nil && planned.fromRun {
		// Its report is made of the records and the plan in memory
		// (liveReport.report) and touches the state only to put its page,
		// after the driver has closed.
		closed = make(chan struct{})
		go func() {
			defer close(closed)
			closeErr = opened.CloseDriver()
		}()
	}
	if recs := st.RecordList(); hasRunIn(recs) {
		// The report is made from the journal as written, whose sensitive
		// values are hidden, like `runbook report` makes it; read back only
		// when there are any.
		path := store.Where(runtime.ReportBlob)
		var err error
		rep := live.report(recs, planned)
		if rep == nil {
			// Made of the store: once it has all the run's writes.
			_ = st.HandOver()
			if hidden != nil {
				var read []runtime.Record
				read, err = runtime.ReadJournal(store)
				recs = runtime.ListOf(read)
			}
			if err == nil {
				rep = report.Build(reportInput(rb, rrb, store, recs, planned))
			}
		}
		if err == nil {
			if closed != nil {
				<-closed
			}
			err = putReportHTML(st.Session(), rep)
		}
		if err != nil {
			a.messages().NotWritten("the report", err)
		} else {
			view.Report(path)
		}
	}
	view.Summary(res)
	return res.ExitCode()
}

// notStarted ends a run that did not start, with exit 1. The caller has
// told the operator why on stderr; with --json, stdout still gets what a
// program reading the events expects (notStartedJSON).
func (a *app) notStarted(args *runArgs, message string, diffs []string) int {
	if args.View == viewJSON {
		notStartedJSON(a.stdout, message, diffs)
	}
	return exitFailed
}
