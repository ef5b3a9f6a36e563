package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbookhq/runbook/runtime"
)

// fleetRunArgs is the command line of `runbook fleet run`.
type fleetRunArgs struct {
	// Paths are the clusters' runbooks, one a cluster, in the order they
	// start.
	Paths []string
	View  viewType
	driverArg
	// State is --state: the directory under which each cluster keeps its
	// state, in a directory named after its runbook; "" means each
	// runbook's default state directory.
	State       string
	AutoApprove bool
	Until       *clockTime
	Window      time.Duration
	Settle      time.Duration
	// MaxConcurrency is how many clusters roll at once.
	MaxConcurrency int
	// LockTTL is --lock-ttl: with a shared store, the lease of each
	// cluster's lock and of each slot of the cap.
	LockTTL time.Duration
	// MaxFailures is the failure count at which no new cluster starts (0
	// and 1: the first).
	MaxFailures int

	json  bool
	until string
}

func (f *fleetRunArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print one JSON object per event, each naming its cluster, then one summary per cluster and the fleet's summary")
	fs.IntVar(&f.MaxConcurrency, "max-concurrency", 1, "roll at most `N` clusters at once")
	fs.IntVar(&f.MaxFailures, "max-failures", 0, "start no new cluster once `M` clusters have failed (0: at the first failure, like 1)")
	fs.StringVar(&f.Driver, "driver", "", fmt.Sprintf("run every cluster with `DRIVER` (%s) instead of its runbook's own; %s rehearses the fleet", f.names(), f.simulator()))
	fs.StringVar(&f.State, "state", "", "keep each cluster's journal, lock and simulator in `STATE`/NAME: a directory, or a shared store (etcd://HOST:PORT[,...]/PREFIX); default $RUNBOOK_STATE, else each runbook's state block or .runbook/NAME beside it")
	fs.BoolVar(&f.AutoApprove, "auto-approve", false, "run without showing the fleet's plan and asking for confirmation; approve steps are approved")
	fs.StringVar(&f.until, "until", "", "start no step whose timeout would run past `HH:MM` on its cluster's driver clock (exit 3)")
	fs.DurationVar(&f.Window, "window", 0, "start no step whose timeout would run past `DURATION` from now on its cluster's driver clock (exit 3)")
	fs.DurationVar(&f.LockTTL, "lock-ttl", runtime.DefaultLockTTL, "with a shared state store (etcd), the lease of each cluster's lock and of each slot of the cap: how long after this runner stops renewing them (dies, is paused) the other runners may take its clusters over")
	fs.DurationVar(&f.Settle, "settle-timeout", runtime.DefaultSettle, "how long a resumed step waits for the effect of an operation an earlier run left in doubt, with no change in the cluster, before it stops")
}

func (f *fleetRunArgs) finish(pos []string) error {
	if len(pos) == 0 {
		return errors.New("fleet run needs the PATH of each cluster's runbook (a file or directory)")
	}
	f.Paths = pos
	if f.json {
		f.View = viewJSON
	}
	f.State = fleetState(f.State)
	if err := f.checkDriver(); err != nil {
		return err
	}
	if f.MaxConcurrency < 1 {
		return fmt.Errorf("invalid --max-concurrency %d: want 1 or more clusters at once", f.MaxConcurrency)
	}
	if f.MaxFailures < 0 {
		return fmt.Errorf("invalid --max-failures %d: want 0 (stop at the first failure) or more", f.MaxFailures)
	}
	if f.until != "" && f.Window != 0 {
		return errors.New("--until and --window cannot be used together")
	}
	if f.until != "" {
		t, err := parseClock(f.until)
		if err != nil {
			return fmt.Errorf("invalid --until %q: want a time of day HH:MM, such as 06:00", f.until)
		}
		f.Until = t
	}
	if f.Window < 0 {
		return fmt.Errorf("invalid --window %s: want a positive duration, such as 4h", f.Window)
	}
	if f.LockTTL < time.Second {
		return fmt.Errorf("invalid --lock-ttl %s: want at least 1s, such as 15s", f.LockTTL)
	}
	if f.Settle <= 0 {
		return fmt.Errorf("invalid --settle-timeout %s: want a positive duration, such as 5m", f.Settle)
	}
	return nil
}

// failureLimit is the failure count at which no new cluster starts.
func (f *fleetRunArgs) failureLimit() int { return max(f.MaxFailures, 1) }

// fleetStatusArgs is the command line of `runbook fleet status`.
type fleetStatusArgs struct {
	Paths []string
	View  viewType
	driverArg
	State string

	json bool
}

func (f *fleetStatusArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.json, "json", false, "print the fleet's status as one JSON object")
	fs.StringVar(&f.State, "state", "", "read each cluster's state in `STATE`/NAME, as fleet run --state keeps it (a directory or etcd://...; default $RUNBOOK_STATE, else each runbook's state block or .runbook/NAME beside it)")
	fs.StringVar(&f.Driver, "driver", "", "show the state of the fleet's runs with `DRIVER` (a rehearsal: --driver "+f.simulator()+")")
}

func (f *fleetStatusArgs) finish(pos []string) error {
	if len(pos) == 0 {
		return errors.New("fleet status needs the PATH of each cluster's runbook (a file or directory)")
	}
	f.Paths = pos
	if f.json {
		f.View = viewJSON
	}
	f.State = fleetState(f.State)
	return f.checkDriver()
}

// fleetState is a fleet's --state: the flag, or $RUNBOOK_STATE, under which
// each cluster's state is NAME (a fleet never gives its clusters one state).
func fleetState(flag string) string {
	if flag != "" {
		return flag
	}
	return strings.TrimRight(os.Getenv(stateEnv), "/")
}
