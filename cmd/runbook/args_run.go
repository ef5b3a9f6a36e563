package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/runtime"
)

// runArgs is the command line of `runbook run`.
type runArgs struct {
	Path string
	View viewType
	Vars varArgs
	driverArg
	// State is --state; "" means the default state directory.
	State       string
	AutoApprove bool
	StopAfter   string
	// Until is --until as hour and minute, if set.
	Until *clockTime
	// Window is --window, 0 if unset.
	Window time.Duration
	// Faults are --fault, for a kind that injects faults.
	Faults []drivers.Fault
	// Reissue is --reissue: the steps whose operations in doubt to issue
	// again.
	Reissue []string
	// Settle is --settle-timeout.
	Settle time.Duration
	// LockTTL is --lock-ttl and WaitLock --wait-lock: the lease of the
	// lock of a shared store, and how long to wait for another run's.
	LockTTL, WaitLock time.Duration

	json   bool
	until  string
	faults []string
}

// clockTime is a time of day, HH:MM.
type clockTime struct{ Hour, Minute int }

func (r *runArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&r.json, "json", false, "print one JSON object per event, ending with a summary")
	r.Vars.bind(fs)
	fs.StringVar(&r.Driver, "driver", "", fmt.Sprintf("run with `DRIVER` (%s) instead of the runbook's own; %s rehearses any runbook", r.names(), r.simulator()))
	fs.StringVar(&r.State, "state", "", "keep the journal, lock and simulator in `DIR` (default $RUNBOOK_STATE, else the runbook's state block, else .runbook/NAME beside the runbook)")
	fs.BoolVar(&r.AutoApprove, "auto-approve", false, "run without showing the plan and asking for confirmation")
	fs.StringVar(&r.StopAfter, "stop-after", "", "stop after the step at `ADDRESS` (exit 3); run again to resume")
	fs.StringVar(&r.until, "until", "", "do not start a step whose timeout would run past `HH:MM` on the driver's clock (exit 3)")
	fs.DurationVar(&r.Window, "window", 0, "do not start a step whose timeout would run past `DURATION` from now on the driver's clock (exit 3)")
	fs.StringArrayVar(&r.Reissue, "reissue", nil, "issue again the operations in doubt of the step at `ADDRESS`, once you checked the cluster (repeatable)")
	fs.DurationVar(&r.Settle, "settle-timeout", runtime.DefaultSettle, "how long a resumed step waits for the effect of an operation an earlier run left in doubt, with no change in the cluster, before it stops")
	fs.DurationVar(&r.LockTTL, "lock-ttl", runtime.DefaultLockTTL, "with a shared state store (etcd), the lease of the run's lock: how long after this process stops renewing it (dies, is paused) another run may take it")
	fs.DurationVar(&r.WaitLock, "wait-lock", 0, "wait at most `DURATION` for another run's lock to be released or its lease to expire (default: fail at once)")
	fs.StringArrayVar(&r.faults, "fault", nil, "inject the fault `KIND:TARGET` into the simulator (repeatable; "+r.simulator()+" only)")
}

func (r *runArgs) finish(pos []string) error {
	path, err := onePath("run", pos)
	if err != nil {
		return err
	}
	r.Path = path
	if r.json {
		r.View = viewJSON
	}
	if err := r.checkDriver(); err != nil {
		return err
	}
	if r.until != "" && r.Window != 0 {
		return errors.New("--until and --window cannot be used together")
	}
	if r.until != "" {
		t, err := parseClock(r.until)
		if err != nil {
			return fmt.Errorf("invalid --until %q: want a time of day HH:MM, such as 06:00", r.until)
		}
		r.Until = t
	}
	if r.Settle <= 0 {
		return fmt.Errorf("invalid --settle-timeout %s: want a positive duration, such as 5m", r.Settle)
	}
	if r.LockTTL < time.Second {
		return fmt.Errorf("invalid --lock-ttl %s: want at least 1s, such as 15s", r.LockTTL)
	}
	if r.WaitLock < 0 {
		return fmt.Errorf("invalid --wait-lock %s: want a positive duration, such as 30s", r.WaitLock)
	}
	if r.Window < 0 {
		return fmt.Errorf("invalid --window %s: want a positive duration, such as 4h", r.Window)
	}
	if len(r.faults) > 0 {
		fi := r.faultInjector()
		if fi == nil {
			return fmt.Errorf("--fault only works with the simulator (--driver %s), not --driver %s", r.simulator(), r.Driver)
		}
		for _, f := range r.faults {
			ft, err := drivers.ParseFault(f, fi.Faults())
			if err != nil {
				return fmt.Errorf("invalid --fault: %v", err)
			}
			r.Faults = append(r.Faults, ft)
		}
	}
	return r.Vars.finish()
}

// clockRE is a time of day: HH:MM, two digits each.
var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

// parseClock parses HH:MM, 00:00 to 23:59.
func parseClock(s string) (*clockTime, error) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("not a time of day HH:MM: %q", s)
	}
	h, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	return &clockTime{h, min}, nil
}
