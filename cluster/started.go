package cluster

import "context"

// StartedCommand is a command a driver operation started on this machine.
type StartedCommand struct {
	// Pgid is its process group.
	Pgid int
	// Ran, if set, is a file the command creates once it is past the
	// driver's gate (see StartGate), just before it acts: a command whose
	// group has ended without creating it never acted.
	Ran string
}

type commandStartedKey struct{}

// WithCommandStarted returns a context under which a driver operation calls
// f with each command it starts on this machine, as soon as the command has
// started. The runtime journals it: if the runbook dies while the command
// runs (the command, in a process group of its own, goes on), the next run
// can see that the command still runs and wait for it, rather than issue
// the operation a second time.
func WithCommandStarted(ctx context.Context, f func(StartedCommand)) context.Context {
	return context.WithValue(ctx, commandStartedKey{}, f)
}

// CommandStarted reports a command a driver operation started to the
// function WithCommandStarted put in ctx, if any. Drivers that run local
// commands for their operations call it.
func CommandStarted(ctx context.Context, c StartedCommand) {
	if f, ok := ctx.Value(commandStartedKey{}).(func(StartedCommand)); ok && f != nil {
		f(c)
	}
}

// StartGate is implemented by a driver that holds each command of an
// operation at a gate until CommandStarted has returned for it (the exec
// driver): the command does nothing before its start is journaled, and
// nothing at all if the runbook dies before it opens the gate. For such a
// driver, an operation announced in the journal with no start recorded
// never ran, and one whose command ended without creating its Ran file
// never acted.
type StartGate interface {
	GatesStarts() bool
}

// NoCommands is implemented by a driver whose operations start no command
// on this machine and never call CommandStarted (the simulator): the
// runtime then puts no hook for it in their contexts.
type NoCommands interface {
	StartsNoCommands() bool
}
