package steps

import "context"

type commandStartedKey struct{}

// WithCommandStarted returns a context under which a driver operation calls
// f with the process group of each command it starts on this machine, as
// soon as the command has started. The runtime journals it: if the runbook
// dies while the command runs (the command, in a process group of its own,
// goes on), the next run can see that the command still runs and wait for
// it, rather than issue the operation a second time.
func WithCommandStarted(ctx context.Context, f func(pgid int)) context.Context {
	return context.WithValue(ctx, commandStartedKey{}, f)
}

// CommandStarted reports a command a driver operation started, in the
// process group pgid, to the function WithCommandStarted put in ctx, if
// any. Drivers that run local commands for their operations call it.
func CommandStarted(ctx context.Context, pgid int) {
	if f, ok := ctx.Value(commandStartedKey{}).(func(int)); ok && f != nil {
		f(pgid)
	}
}
