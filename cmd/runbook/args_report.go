package main

import "github.com/spf13/pflag"

// reportArgs is the command line of `runbook report`.
type reportArgs struct {
	Path string
	View viewType
	Vars varArgs
	// Out is -o: where to write the report ("" for the default: report.html
	// in the state directory, or standard output with --json).
	Out   string
	State string
	// Driver picks the state of a run with another driver than the
	// runbook's own (a rehearsal: --driver "+r.simulator()+").
	driverArg
	// Probe is --probe: a file of downtime measured outside runbook, laid
	// beside the journal's.
	Probe string

	json bool
}

func (r *reportArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&r.json, "json", false, "print the report's data as one JSON object instead of writing the HTML page")
	fs.StringVarP(&r.Out, "output", "o", "", "write the report to `FILE` (default: report.html in the state directory; with --json, standard output)")
	fs.StringVar(&r.State, "state", "", "read the state in `DIR` (default $RUNBOOK_STATE, else the runbook's state block, else .runbook/NAME beside the runbook)")
	fs.StringVar(&r.Driver, "driver", "", "report on the run with `DRIVER` (a rehearsal: --driver "+r.simulator()+") instead of the runbook's own driver")
	fs.StringVar(&r.Probe, "probe", "", "lay the downtime measured outside runbook, in the JSON `FILE` {\"source\": ..., \"downtime_seconds\": {RESOURCE: SECONDS}}, beside the journal's")
	r.Vars.bind(fs)
}

func (r *reportArgs) finish(pos []string) error {
	path, err := onePath("report", pos)
	if err != nil {
		return err
	}
	r.Path = path
	if err := r.checkDriver(); err != nil {
		return err
	}
	if r.json {
		r.View = viewJSON
	}
	return r.Vars.finish()
}
