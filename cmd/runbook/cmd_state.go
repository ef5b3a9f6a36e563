package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/runtime"
)

func (a *app) stateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "state",
		Short: "Move a run's state between the local directory and a shared store",
		Long: `State push copies a run's local state directory into a shared state store
(--state, $RUNBOOK_STATE, or the runbook's state block, as run finds it),
state pull the reverse, so that a team can
switch stores in the middle of a roll: the journal, the snapshot, the
simulator's cluster, exec.log, run.log and the report. Each holds both locks
while it copies, and refuses when the target already holds a run.`,
	}
	c.AddCommand(a.stateCopyCommand("push"), a.stateCopyCommand("pull"))
	return c
}

func (a *app) stateCopyCommand(dir string) *cobra.Command {
	var args stateCopyArgs
	args.kinds = a.drivers
	short, example := "Copy a run's local state directory into a shared store", "  runbook state push --state etcd://10.0.0.5:2379/maint/cl1 upgrade.hcl"
	if dir == "pull" {
		short, example = "Copy a run's state from a shared store into its local directory", "  runbook state pull --state etcd://10.0.0.5:2379/maint/cl1 upgrade.hcl"
	}
	c := &cobra.Command{
		Use:   dir + " [flags] PATH",
		Short: short,
		Long: short + `. It refuses when the target
already holds a run's journal, and while a run holds either lock.

Exit status: 0 copied, 1 refused or failed, 2 usage error.`,
		Example: example,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish("state "+dir, pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.stateCopy(dir, &args))
		},
	}
	args.bind(c.Flags())
	return c
}

func (a *app) stateCopy(dir string, args *stateCopyArgs) int {
	rb := a.loadRunbook(args.Path, args.Vars, false)
	if rb == nil {
		return exitFailed
	}
	// The shared store is the first of --state, $RUNBOOK_STATE and the
	// runbook's state block, as run finds it; the local directory is never
	// one of them.
	if args.State == "" && os.Getenv(stateEnv) == "" && rb.State == nil {
		a.messages().NoSharedStore(dir)
		return exitFailed
	}
	remote, err := a.openState(args.State, rb, args.Driver)
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	shared := remote.Where("")
	localDir := args.Dir
	if localDir == "" {
		localDir = runtime.DefaultStateDir(rb.Dir, rb.Name)
		if args.Driver != "" && args.Driver != rb.Driver {
			localDir += "@" + args.Driver
		}
	}
	local, err := a.openStore(localDir)
	if err == nil && local.Where("") == shared {
		err = fmt.Errorf("the local state directory and the shared store are both %s", shared)
	}
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	src, dst := local, remote
	if dir == "pull" {
		src, dst = remote, local
	}
	var blobs, streams []string
	for _, k := range a.drivers.Kinds() {
		if sf, ok := k.(drivers.StateFiles); ok {
			b, s := sf.StateFiles()
			blobs, streams = append(blobs, b...), append(streams, s...)
		}
	}
	err = runtime.CopyState(src, dst, runtime.CurrentHolder(commandLine(a.argv)), blobs, streams)
	var locked *runtime.LockedError
	switch {
	case errors.As(err, &locked):
		a.messages().CopyLocked(err)
		return exitFailed
	case err != nil:
		a.messages().Error(err)
		return exitFailed
	}
	a.messages().Copied(src.Where(""), dst.Where(""))
	return exitOK
}
