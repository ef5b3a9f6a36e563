package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/runtime"
)

func (a *app) unlockCommand() *cobra.Command {
	var args unlockArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "unlock [flags] PATH",
		Short: "Clear the stale lock of a run that died",
		Long: `Unlock clears the lock of the runbook's state directory left by a run that
died. The lock itself is released by the system when its process ends; what
a crash leaves is the record of who held it, which unlock removes. It refuses
while a process holds the lock, unless --force: use --force only when you
know that process runs no step (for example, it hangs on another host).

Exit status: 0 unlocked or not locked, 1 the lock is held, 2 usage error.`,
		Example: `  runbook unlock runbooks/netware65-rolling-upgrade.hcl
  runbook unlock --state /tmp/rehearsal upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.unlock(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

func (a *app) unlock(args *unlockArgs) int {
	var store runtime.Store
	var err error
	if args.State != "" {
		store, err = a.openStore(args.State)
	} else {
		rb := a.loadRunbook(args.Path, args.Vars, false)
		if rb == nil {
			return exitFailed
		}
		store, err = a.openState("", rb, args.Driver)
	}
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	dir := store.Where("")
	res, err := runtime.Unlock(store, args.Force)
	switch {
	case errors.Is(err, runtime.ErrHolderAlive):
		a.messages().HolderRunning(dir, res.Holder, runtime.HolderAlive(res.Holder))
		return exitFailed
	case err != nil:
		a.messages().Error(err)
		return exitFailed
	}
	a.messages().Unlocked(dir, res)
	return exitOK
}
