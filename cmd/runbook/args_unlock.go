package main

import "github.com/spf13/pflag"

// unlockArgs is the command line of `runbook unlock`.
type unlockArgs struct {
	Path  string
	State string
	Force bool
	Vars  varArgs
	// Driver picks the state of a run with another driver than the
	// runbook's own (a rehearsal: --driver "+u.simulator()+").
	driverArg
}

func (u *unlockArgs) bind(fs *pflag.FlagSet) {
	fs.StringVar(&u.State, "state", "", "unlock the state in `DIR` (default $RUNBOOK_STATE, else the runbook's state block, else .runbook/NAME beside the runbook)")
	fs.BoolVar(&u.Force, "force", false, "remove the lock even though a process holds it (only when you know that process is not running a step)")
	fs.StringVar(&u.Driver, "driver", "", "unlock the state of the run with `DRIVER` (a rehearsal: --driver "+u.simulator()+") instead of the runbook's own driver")
	u.Vars.bind(fs)
}

func (u *unlockArgs) finish(pos []string) error {
	path, err := onePath("unlock", pos)
	if err != nil {
		return err
	}
	u.Path = path
	if err := u.checkDriver(); err != nil {
		return err
	}
	return u.Vars.finish()
}
