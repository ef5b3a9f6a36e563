package main

import "github.com/spf13/pflag"

// stateCopyArgs is the command line of `runbook state push` and `runbook
// state pull`.
type stateCopyArgs struct {
	Path string
	// State is --state: the shared store (default $RUNBOOK_STATE).
	State string
	// Dir is --dir: the local state directory (default .runbook/NAME
	// beside the runbook, @DRIVER added for another driver).
	Dir string
	driverArg
	Vars varArgs
}

func (s *stateCopyArgs) bind(fs *pflag.FlagSet) {
	fs.StringVar(&s.State, "state", "", "the shared state store, `URL` (default $RUNBOOK_STATE)")
	fs.StringVar(&s.Dir, "dir", "", "the local state directory `DIR` (default .runbook/NAME beside the runbook)")
	fs.StringVar(&s.Driver, "driver", "", "the state of the run with `DRIVER` (a rehearsal: --driver "+s.simulator()+") instead of the runbook's own driver")
	s.Vars.bind(fs)
}

func (s *stateCopyArgs) finish(cmd string, pos []string) error {
	path, err := onePath(cmd, pos)
	if err != nil {
		return err
	}
	s.Path = path
	if err := s.checkDriver(); err != nil {
		return err
	}
	return s.Vars.finish()
}
