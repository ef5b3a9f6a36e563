package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// planArgs is the command line of `runbook plan`.
type planArgs struct {
	Path string
	View viewType
	Vars varArgs
	// State and Driver pick the state directory whose journal a resumed
	// plan starts from, as for run.
	State string
	driverArg

	json bool
}

func (p *planArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&p.json, "json", false, "print the plan as one JSON object")
	fs.StringVar(&p.State, "state", "", "show what is left of the run whose state is in `DIR` (default $RUNBOOK_STATE, else the runbook's state block, else .runbook/NAME beside the runbook)")
	fs.StringVar(&p.Driver, "driver", "", "show what is left of the run with `DRIVER` (a rehearsal: --driver "+p.simulator()+") instead of the runbook's own driver"+p.preflightHelp())
	p.Vars.bind(fs)
}

func (p *planArgs) finish(pos []string) error {
	path, err := onePath("plan", pos)
	if err != nil {
		return err
	}
	p.Path = path
	if err := p.checkDriver(); err != nil {
		return err
	}
	if p.json {
		p.View = viewJSON
	}
	return p.Vars.finish()
}

// onePath checks that a command got exactly one PATH.
func onePath(cmd string, pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", fmt.Errorf("%s needs the PATH of a runbook file or directory", cmd)
	case 1:
		return pos[0], nil
	}
	return "", errors.New(cmd + " takes one PATH, got " + fmt.Sprint(len(pos)) + ": " + strings.Join(pos, " "))
}
