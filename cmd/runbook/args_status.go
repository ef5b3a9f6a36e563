package main

import "github.com/spf13/pflag"

// statusArgs is the command line of `runbook status`.
type statusArgs struct {
	Path  string
	View  viewType
	Vars  varArgs
	State string
	// Driver picks the state of a run with another driver than the
	// runbook's own (a rehearsal: --driver "+s.simulator()+").
	driverArg

	json bool
}

func (s *statusArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&s.json, "json", false, "print the status as one JSON object")
	fs.StringVar(&s.State, "state", "", "read the state in `DIR` (default $RUNBOOK_STATE, else the runbook's state block, else .runbook/NAME beside the runbook)")
	fs.StringVar(&s.Driver, "driver", "", "show the state of the run with `DRIVER` (a rehearsal: --driver "+s.simulator()+") instead of the runbook's own driver")
	s.Vars.bind(fs)
}

func (s *statusArgs) finish(pos []string) error {
	path, err := onePath("status", pos)
	if err != nil {
		return err
	}
	s.Path = path
	if err := s.checkDriver(); err != nil {
		return err
	}
	if s.json {
		s.View = viewJSON
	}
	return s.Vars.finish()
}
