package main

import "github.com/spf13/pflag"

// statusArgs is the command line of `runbook status`.
type statusArgs struct {
	Path  string
	View  viewType
	Vars  varArgs
	State string

	json bool
}

func (s *statusArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&s.json, "json", false, "print the status as one JSON object")
	fs.StringVar(&s.State, "state", "", "read the state in `DIR` (default .runbook/NAME beside the runbook)")
	s.Vars.bind(fs)
}

func (s *statusArgs) finish(pos []string) error {
	path, err := onePath("status", pos)
	if err != nil {
		return err
	}
	s.Path = path
	if s.json {
		s.View = viewJSON
	}
	return s.Vars.finish()
}
