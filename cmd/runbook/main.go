// Command runbook validates, plans and runs declarative runbooks for rolling
// cluster upgrades.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/drivers"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// Exit codes (the README's "Exit codes").
const (
	exitOK      = 0
	exitFailed  = 1 // invalid runbook, failed step, lock held
	exitUsage   = 2
	exitStopped = 3 // stopped on purpose before the end; resumable
)

func main() {
	// This process is one command's: it may set the collector's target
	// (gc.go), which the tests, many commands in one process, leave alone.
	ownProcess = true
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// app is what every command shares: the streams, whether they are terminals,
// and the step registry.
type app struct {
	// argv is the command line after the program's name.
	argv  []string
	stdin io.Reader
	lines *bufio.Reader // stdin, read a line at a time by confirm
	// pendingLine is a read of lines that a prompt gave up on; the next
	// prompt takes its line.
	pendingLine chan lineRead
	// prompting is true while a prompt waits for an answer.
	prompting      atomic.Bool
	stdout, stderr io.Writer
	registry       steps.Registry
	// drivers are the kinds of driver a runbook or --driver may name.
	drivers drivers.Registry
	// stores are the kinds of state store, chosen by --state's scheme.
	stores runtime.StoreKinds
	// color is true when stdout is a terminal and NO_COLOR is unset.
	color bool
	// interactive is true when stdin and stdout are terminals.
	interactive bool
	// hidden are stdout and stderr once they hide the runbook's sensitive
	// values (hide), to flush at the end.
	hidden []*redact.Writer
}

// hide makes stdout and stderr hide the values of the runbook's sensitive
// variables, before anything about the runbook is printed: diagnostics,
// plans, events, status, the output of local commands.
func (a *app) hide(rb *lang.Runbook) {
	if rb == nil || len(a.hidden) > 0 {
		return
	}
	r := redact.New(rb.Secrets())
	if r == nil {
		return
	}
	out, errw := r.NewWriter(a.stdout), r.NewWriter(a.stderr)
	a.stdout, a.stderr = out, errw
	a.hidden = append(a.hidden, out, errw)
}

// flushHidden writes out what the writers that hide sensitive values hold
// back (the tail of a write that could be the start of a value).
func (a *app) flushHidden() {
	for _, w := range a.hidden {
		w.Flush()
	}
}

// exitError carries an exit code out of a command. Its message, if any, has
// already been printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitWith(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code}
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(driverbuiltin.Registry(), args, stdin, stdout, stderr)
}

// runWith is run with the kinds of driver of kinds.
func runWith(kinds drivers.Registry, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{argv: args, stdin: stdin, stdout: stdout, stderr: stderr, registry: builtin.Registry(), drivers: kinds, stores: storebuiltin.Stores()}
	_, noColor := os.LookupEnv("NO_COLOR")
	a.color = !noColor && isTerminal(stdout)
	a.interactive = isTerminal(stdin) && isTerminal(stdout)
	// fatih/color decides once, at load time, from os.Stdout; decide here on every call.
	color.NoColor = !a.color

	root := &cobra.Command{
		Use:           "runbook",
		Short:         "Validate, plan and run declarative runbooks for rolling cluster upgrades",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what runbook version does.
		Version: versionText(debug.ReadBuildInfo()),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.commands()...)

	cmd, err := root.ExecuteC()
	a.flushHidden()
	help := "runbook --help"
	if cmd != nil && cmd != root {
		help = cmd.CommandPath() + " --help"
	}
	var ee *exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "Error: %v\nRun '%s' for usage.\n", ue.err, help)
		return exitUsage
	default:
		// cobra's own errors (unknown command, wrong number of arguments) are usage errors.
		fmt.Fprintf(stderr, "Error: %v\nRun '%s' for usage.\n", err, help)
		return exitUsage
	}
}

// usageError is a bad command line: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
