package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/suggest"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
	"github.com/runbookhq/runbook/runtime/report"
	"github.com/runbookhq/runbook/steps"
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

// loadRunbook loads the runbook for plan, run, status and unlock. It prints
// the diagnostics (errors and warnings) to stderr and returns nil when the
// runbook is invalid.
func (a *app) loadRunbook(path string, vars varArgs, requireValues bool) *lang.Runbook {
	rb, _ := a.loadRunbookDiags(path, vars, requireValues)
	return rb
}

// loadRunbookDiags is loadRunbook that also returns the diagnostics, for a
// --json view to print them (validateJSON's shape) when the runbook is
// invalid.
func (a *app) loadRunbookDiags(path string, vars varArgs, requireValues bool) (*lang.Runbook, hcl.Diagnostics) {
	rb, diags := a.load(path, lang.Options{
		Registry:      a.registry,
		Vars:          vars.Vars,
		VarFiles:      vars.VarFiles,
		Env:           os.Environ(),
		RequireValues: requireValues,
	})
	var files map[string]*hcl.File
	if rb != nil {
		files = rb.Files
	}
	a.hide(rb)
	if len(diags) > 0 {
		p := &diagPrinter{w: a.stderr, files: files, width: columns(a.stderr), color: a.color,
			hint: fmt.Sprintf("`runbook validate --json %s` lists them all", path)}
		p.write(diags)
	}
	if diags.HasErrors() || rb == nil {
		errs, _ := countDiags(diags)
		fmt.Fprintf(a.stderr, "Error: the runbook is invalid (%s); nothing was run. `runbook validate %s` checks it.\n", plural(errs, "error"), path)
		return nil, diags
	}
	return rb, diags
}

// runtimeRunbook is what the runtime executes of a loaded runbook.
func runtimeRunbook(rb *lang.Runbook) *runtime.Runbook {
	out := &runtime.Runbook{Name: rb.Name, Cluster: rb.Cluster}
	for _, s := range rb.Steps {
		out.Steps = append(out.Steps, runtime.Step{Instance: s.Instance, When: s.When})
	}
	return out
}

// predict runs the steps on a fresh simulator of the declared cluster, with
// the runbook's timings and no faults: the plan. Steps that do not change
// the cluster (approve, exec) are not run: they have no effect on the
// simulator, and planning must neither ask the operator nor run a local
// command.
func (a *app) predict(rb *lang.Runbook, rrb *runtime.Runbook) *runtime.Result {
	return a.predictUntil(rb, rrb, "")
}

// predictUntil is predict stopped after the step at stopAfter ("" runs to
// the end).
func (a *app) predictUntil(rb *lang.Runbook, rrb *runtime.Runbook, stopAfter string) *runtime.Result {
	s := rb.Model()
	return runtime.Run(context.Background(), rrb, runtime.Options{Registry: a.registry, Driver: s, Poll: cluster.DefaultPoll, Plan: true, StopAfter: stopAfter})
}

// openStore opens the state store that ref names: a state directory, or a
// store of the kind its URL scheme names.
func (a *app) openStore(ref string) (runtime.Store, error) {
	return a.stores.Open(ref)
}

// openState opens the state of a run with driver, the first of: --state
// (flag), $RUNBOOK_STATE, the runbook's state block, the directory beside
// the runbook (see stateDir). A rehearsal with another driver than the
// runbook's keeps its state apart, with @DRIVER added to the store's name.
func (a *app) openState(flag string, rb *lang.Runbook, driver string) (runtime.Store, error) {
	if flag != "" || os.Getenv(stateEnv) != "" || rb.State == nil {
		return a.openStore(stateDir(flag, rb, driver))
	}
	kind, ok := a.stores.Blocks[rb.State.Kind]
	if !ok {
		// lang checked the kind against the same list.
		return nil, fmt.Errorf("%s: no kind of state store is named %q", rb.State.Range, rb.State.Kind)
	}
	suffix := ""
	if driver != "" && driver != rb.Driver {
		suffix = "@" + driver
	}
	store, err := kind.Open(rb.State.Settings, suffix)
	if err != nil {
		return nil, fmt.Errorf("the runbook's state block (%s): %w", rb.State.Range, err)
	}
	return store, nil
}

// stateEnv is the environment variable that names the state when --state
// is not given.
const stateEnv = "RUNBOOK_STATE"

// stateDir is the state of a run with driver: --state if set; otherwise
// $RUNBOOK_STATE, or .runbook/NAME beside the runbook, for its own driver,
// and the same with @DRIVER added for another (a rehearsal with --driver
// sim keeps its journal, lock and simulator apart from the real run's).
func stateDir(flag string, rb *lang.Runbook, driver string) string {
	if flag != "" {
		return flag
	}
	dir := runtime.DefaultStateDir(rb.Dir, rb.Name)
	if env := os.Getenv(stateEnv); env != "" {
		dir = strings.TrimRight(env, "/")
	}
	if driver != "" && driver != rb.Driver {
		dir += "@" + driver
	}
	return dir
}

// didYouMean returns ` (did you mean "X"?)` for the closest candidate, or "".
func didYouMean(got string, candidates []string) string {
	best := suggest.Closest(got, candidates, len(got)/2+3)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// usage reports a usage error of runbook run found once the runbook is loaded.
func (a *app) usage(format string, args ...any) int {
	fmt.Fprintf(a.stderr, "Error: "+format+"\nRun 'runbook run --help' for usage.\n", args...)
	return exitUsage
}

// checkRunTargets checks what needs the loaded runbook: the --stop-after
// address and the --fault targets. Its errors are usage errors.
func checkRunTargets(args *runArgs, rb *lang.Runbook, rrb *runtime.Runbook) error {
	if args.StopAfter != "" && rrb.Index(args.StopAfter) < 0 {
		var addrs []string
		for _, s := range rrb.Steps {
			addrs = append(addrs, s.Address)
		}
		return fmt.Errorf("--stop-after %s: the runbook has no step at that address%s; `runbook plan %s` lists them", args.StopAfter, didYouMean(args.StopAfter, addrs), args.Path)
	}
	for _, addr := range args.Reissue {
		if rrb.Index(addr) < 0 {
			var addrs []string
			for _, s := range rrb.Steps {
				addrs = append(addrs, s.Address)
			}
			return fmt.Errorf("--reissue %s: the runbook has no step at that address%s; `runbook status %s` shows the steps in doubt", addr, didYouMean(addr, addrs), args.Path)
		}
	}
	var kinds []drivers.FaultKind
	if fi := args.faultInjector(); fi != nil {
		kinds = fi.Faults()
	}
	for _, f := range args.Faults {
		var names []string
		switch f.TargetKind(kinds) {
		case "node":
			for _, n := range rb.Cluster.Nodes {
				names = append(names, n.Name)
			}
		case "resource":
			for _, r := range rb.Cluster.Resources {
				names = append(names, r.Name)
			}
		case "license":
			for _, l := range rb.Cluster.Licenses {
				names = append(names, l.Name)
			}
		default:
			continue
		}
		if !slices.Contains(names, f.Target) {
			return fmt.Errorf("--fault %s: the runbook declares no %s %q%s", f, f.TargetKind(kinds), f.Target, didYouMean(f.Target, names))
		}
	}
	return nil
}

// confirm asks a yes/no question on the terminal; only "yes" is yes. hint
// says what to type. It gives up at once when ctx ends or at the first
// signal (stop closed), with errPromptStopped: a signal at a prompt never
// counts as an answer.
func (a *app) confirm(ctx context.Context, stop <-chan struct{}, question, hint string) (bool, error) {
	fmt.Fprintf(a.stdout, "%s\n  %s ", question, hint)
	a.flushHidden() // the prompt, whole
	a.prompting.Store(true)
	defer a.prompting.Store(false)
	line, err := a.readLine(ctx, stop)
	if err != nil && !errors.Is(err, io.EOF) {
		// onSignals' notice ends the prompt's line.
		return false, err
	}
	fmt.Fprintln(a.stdout)
	return strings.TrimSpace(line) == "yes", nil
}

// errPromptStopped is why a prompt got no answer: a signal came first.
var errPromptStopped = errors.New("interrupted at the prompt")

type lineRead struct {
	line string
	err  error
}

// readLine reads a line of stdin, or gives up when ctx ends or stop is
// closed. The read it gave up on goes on, and the next call takes its line:
// no line typed is lost, and stdin is never read by two at once.
func (a *app) readLine(ctx context.Context, stop <-chan struct{}) (string, error) {
	if a.pendingLine == nil {
		if a.lines == nil {
			a.lines = bufio.NewReader(a.stdin)
		}
		ch := make(chan lineRead, 1)
		go func() {
			line, err := a.lines.ReadString('\n')
			ch <- lineRead{line, err}
		}()
		a.pendingLine = ch
	}
	select {
	case r := <-a.pendingLine:
		a.pendingLine = nil
		return r.line, r.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	case <-stop:
		return "", errPromptStopped
	}
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

	rb, diags := a.loadRunbookDiags(args.Path, args.Vars, true)
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
		return a.usage("%v", err)
	}
	if _, ok := kind.(drivers.FaultInjector); len(args.Faults) > 0 && !ok {
		return a.usage("--fault only works with the simulator; this runbook uses the %s driver (add --driver %s to rehearse it)", driver, args.simulator())
	}
	rrb := runtimeRunbook(rb)
	if err := checkRunTargets(args, rb, rrb); err != nil {
		return a.usage("%v", err)
	}
	store, err := a.openState(args.State, rb, driver)
	if err != nil {
		return a.usage("%v", err)
	}
	resume := a.resumeFor(rb, rrb, store)
	if resume != nil {
		resume.Settle, resume.Reissue = args.Settle, args.Reissue
	}
	if err := checkStopAfter(args, rrb, resume); err != nil {
		return a.usage("%v", err)
	}

	confirmation := &runtime.Approval{Time: time.Now(), Answer: "--auto-approve"}
	// The plan, unless the run may be its own (run_plan.go).
	var planned *plannedRun
	var predicted map[string]time.Duration
	later := a.planLater(args, rrb, kind, resume)
	if !later {
		planned = a.predictEvents(rb, rrb)
		predicted = planned.predicted()
	}
	if !args.AutoApprove {
		if !a.interactive {
			fmt.Fprintln(a.stderr, "Error: run shows the plan and asks for confirmation on a terminal, and there is none. Pass --auto-approve to run without asking.")
			return a.notStarted(args, "no terminal to confirm the run on, and no --auto-approve; nothing was run", nil)
		}
		(&planHuman{w: a.stdout, color: a.color, resume: resume, registry: a.registry}).Plan(rb, rrb, planned.res)
		ok, err := a.confirm(ctx, stop, "Do you want to perform these steps? Only 'yes' will be accepted:", "Enter a value:")
		if !ok {
			if err != nil {
				fmt.Fprintf(a.stdout, "%v.\n", upperFirst(err.Error()))
			}
			fmt.Fprintln(a.stdout, "Run cancelled: nothing was done.")
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
		who := "another run (its holder record is unreadable)"
		if h != nil {
			who = h.String()
		}
		fmt.Fprintf(a.stderr, "Waiting for the lock of %s, held by %s: its lease expires in %s unless its holder renews it (waiting at most %s, --wait-lock).\n", store.Where(""), who, left, args.WaitLock)
	}}
	opened, err := a.openRun(store, kind, command, rb, hidden, args.Faults, confirmation, lock, func(st *runtime.State) error {
		if log, err := openRunLog(st.Session(), command, hidden); err != nil {
			fmt.Fprintf(a.stderr, "Warning: the run's output is not logged: %v\n", err)
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
	})
	var locked *runtime.LockedError
	var reissue reissueError
	var drift drivers.DriftError
	switch {
	case errors.As(err, &locked):
		fmt.Fprintf(a.stderr, "Error: %v.\nAnother run is in progress: wait for it, or stop it. If it died, `runbook unlock %s` clears the lock.\n", err, args.Path)
		return a.notStarted(args, err.Error(), nil)
	case errors.As(err, &reissue):
		return a.usage("%v", reissue.err)
	case errors.As(err, &drift):
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		return a.notStarted(args, drift.Summary(), drift.Differences())
	case err != nil:
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		return a.notStarted(args, strings.SplitN(err.Error(), "\n", 2)[0], nil)
	}
	st, drv := opened.State, opened.Driver
	defer st.Close()
	defer func() {
		if err := opened.CloseDriver(); err != nil {
			fmt.Fprintf(a.stderr, "Error: closing the %s driver: %v\n", driver, err)
		}
	}()

	if later && !startsAsModel(drv, rb) {
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
			view.Notice("Settled what an interrupted run left on the cluster: " + strings.Join(removed, "; "))
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "Error: %v\n", err)
			return a.notStarted(args, err.Error(), nil)
		}
	}

	var prompt func(context.Context, string) (bool, error)
	if a.interactive {
		prompt = func(ctx context.Context, q string) (bool, error) {
			ok, err := a.confirm(ctx, stop, q, "Type yes to approve:")
			if errors.Is(err, errPromptStopped) {
				// The first signal at a prompt stops the run there: the
				// step is not approved, and the resumed run asks again.
				err = fmt.Errorf("%w (%w)", err, steps.ErrStop)
			}
			return ok, err
		}
	}
	prompt = auditPrompt(st, drv, prompt)
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
		Crash:          runtime.FailpointsFromEnv().Hit,
	})
	if later {
		planned = a.planOf(rb, rrb, res, changes, st.Records())
	}
	if hasRun(st.Records()) {
		// The report is made from the journal as written, whose sensitive
		// values are hidden, like `runbook report` makes it; read back only
		// when there are any.
		path := store.Where(runtime.ReportBlob)
		recs, err := st.Records(), error(nil)
		if hidden != nil { // st.Redact is never nil: hidden.String of a nil Redactor returns its input
			recs, err = runtime.ReadJournal(store)
		}
		if err == nil {
			err = putReportHTML(st.Session().Put, report.Build(reportInput(rb, rrb, store, recs, planned)))
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "Error: writing the report: %v\n", err)
		} else {
			view.Report(path)
		}
	}
	view.Summary(res)
	return res.ExitCode()
}

// onSignals stops the run after the current step at the first SIGINT,
// SIGTERM, SIGQUIT or SIGHUP (a prompt gives up at once, unanswered), and
// cancels the step in flight at a second signal. A repeated SIGHUP is not a
// second signal: a dropped connection may send it twice (the shell passes
// its hangup on to its jobs, and the kernel sends one when the session's
// leader exits), and a dropped connection must never abort a step half-way.
// Under nohup (SIGHUP ignored from the start) it stays ignored. SIGPIPE is
// received and dropped, so that a write to a closed pipe fails (runOutput
// then stops writing to it) instead of killing the process; unlike
// signal.Ignore, this leaves the commands the run starts with SIGPIPE's
// default action. The name of the signal that closes stop is written to
// *cause first. The returned function stops listening.
func (a *app) onSignals(stop chan struct{}, cause *string, cancel context.CancelCauseFunc, notice func(string)) func() {
	sigs := make(chan os.Signal, 4)
	wanted := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT}
	if !signal.Ignored(syscall.SIGHUP) {
		wanted = append(wanted, syscall.SIGHUP)
	}
	signal.Notify(sigs, wanted...)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		stopped := false
		for {
			select {
			case <-done:
				return
			case <-pipes:
			case sig := <-sigs:
				switch {
				case !stopped && a.prompting.Load():
					stopped = true
					*cause = sig.String()
					close(stop)
					notice(fmt.Sprintf("\n%s: not approved; stopping here", sig))
				case !stopped:
					stopped = true
					*cause = sig.String()
					close(stop)
					if sig == syscall.SIGHUP {
						notice(fmt.Sprintf("%s: the terminal is gone; stopping after the current step (its output goes on to %s in the state directory)", sig, runLogFile))
					} else {
						notice(fmt.Sprintf("%s: stopping after the current step; press Ctrl-C again to abort the step (it will be in doubt)", sig))
					}
				case sig == syscall.SIGHUP:
					notice(fmt.Sprintf("%s: still stopping after the current step (a hangup never aborts a step)", sig))
				default:
					notice(fmt.Sprintf("%s: aborting the current step", sig))
					cancel(errSecondInterrupt)
					return
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		signal.Stop(pipes)
		close(done)
		wg.Wait()
	}
}

// noticeBoard shows onSignals' notices: on stderr until the run's view is
// up, then in the view.
type noticeBoard struct {
	mu   sync.Mutex
	w    io.Writer
	view runView
}

func (n *noticeBoard) setView(v runView) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.view = v
}

func (n *noticeBoard) notice(msg string) {
	n.mu.Lock()
	w, v := n.w, n.view
	n.mu.Unlock()
	if v != nil {
		v.Notice(msg)
		return
	}
	fmt.Fprintln(w, msg)
}

// reissueError is a --reissue that names a step with nothing in doubt: a
// usage error.
type reissueError struct{ err error }

func (e reissueError) Error() string { return e.err.Error() }

// errSecondInterrupt is why a run's context is cancelled: the step in flight
// is in doubt, "aborted by a second interrupt: <what was in flight>".
var errSecondInterrupt = errors.New("aborted by a second interrupt")

// auditPrompt journals each answer the operator gives at an approve step's
// prompt: who, when, yes or no. A prompt cut short (an error) records
// nothing.
func auditPrompt(st *runtime.State, drv cluster.Driver, prompt func(context.Context, string) (bool, error)) func(context.Context, string) (bool, error) {
	if prompt == nil {
		return nil
	}
	return func(ctx context.Context, q string) (bool, error) {
		ok, err := prompt(ctx, q)
		if err != nil {
			return ok, err
		}
		if jerr := st.Approved(drv.Now(), ok); jerr != nil {
			return false, jerr
		}
		return ok, nil
	}
}

// commandLine is the command line of this invocation, as a shell would take
// it back: "runbook run --auto-approve 'my runbook.hcl'". The lock's holder
// record and the journal name the run with it, so the values of --var are
// left out (a token, a password): "--var 'token=(redacted)'".
func commandLine(argv []string) string {
	words := []string{"runbook"}
	varValue, positional := false, false
	for _, w := range argv {
		switch {
		case positional:
		case varValue:
			w, varValue = redactVar(w), false
		case w == "--":
			positional = true
		case w == "--var":
			varValue = true
		case strings.HasPrefix(w, "--var="):
			w = "--var=" + redactVar(strings.TrimPrefix(w, "--var="))
		}
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

// redactVar keeps the name of a --var NAME=VALUE and drops its value.
func redactVar(kv string) string {
	name, _, ok := strings.Cut(kv, "=")
	if !ok {
		return "(redacted)"
	}
	return name + "=(redacted)"
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+.,/:@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// sortedDowntime returns the resources by name.
func sortedDowntime(m map[string]time.Duration) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// notStarted ends a run that did not start, with exit 1. The caller has
// told the operator why on stderr; with --json, stdout still gets what a
// program reading the events expects: a drift event for each difference,
// then the summary, whose outcome is "drift" when there are differences
// and "error" otherwise.
func (a *app) notStarted(args *runArgs, message string, diffs []string) int {
	if args.View != viewJSON {
		return exitFailed
	}
	v := &runJSON{enc: json.NewEncoder(a.stdout)}
	now := time.Now()
	res := &runtime.Result{Outcome: runtime.OutcomeError, Message: message, Start: now, End: now}
	if len(diffs) > 0 {
		res.Outcome = runtime.OutcomeDrift
		for _, d := range diffs {
			v.Event(runtime.Event{Type: runtime.EventDrift, Time: now, Message: d, Alarm: true})
		}
	}
	v.Summary(res)
	return exitFailed
}
