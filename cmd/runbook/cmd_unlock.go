package main

import (
	"errors"
	"fmt"

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
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		return exitFailed
	}
	dir := store.Where("")
	res, err := runtime.Unlock(store, args.Force)
	switch {
	case errors.Is(err, runtime.ErrHolderAlive):
		who := "a process whose record is missing"
		if res.Holder != nil {
			who = res.Holder.String()
		}
		alive := ""
		if runtime.HolderAlive(res.Holder) {
			alive = " It is still running on this host."
		}
		fmt.Fprintf(a.stderr, "Error: the state directory %s is locked by %s.%s Stop that run first (Ctrl-C stops it after its current step); pass --force only if you know it runs no step.\n", dir, who, alive)
		return exitFailed
	case err != nil:
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		return exitFailed
	case res.Held:
		fmt.Fprintf(a.stdout, "Removed the lock of %s, held by %s (--force).\n", dir, holderName(res.Holder))
	case res.Cleared:
		fmt.Fprintf(a.stdout, "Cleared the stale lock of %s: %s is gone.\n", dir, holderName(res.Holder))
	default:
		fmt.Fprintf(a.stdout, "The state directory %s is not locked.\n", dir)
	}
	return exitOK
}

func holderName(h *runtime.Holder) string {
	if h == nil {
		return "an unknown process"
	}
	return h.String()
}
