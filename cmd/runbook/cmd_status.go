package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

func (a *app) statusCommand() *cobra.Command {
	var args statusArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "status [flags] PATH",
		Short: "Show the cluster's state and the journal of the runbook's run",
		Long: `Status shows the cluster as the run's driver reports it (for the simulator,
the simulated cluster kept in the state directory; before any run, the
cluster as the runbook declares it) and each step's status in the journal:
done, skipped, failed, in-doubt, started or pending.

While a run holds the lock, the simulated cluster is shown as the journal
last recorded it.

Exit status: 0 shown, 1 invalid runbook or unreadable state, 2 usage error.`,
		Example: `  runbook status runbooks/netware65-rolling-upgrade.hcl
  runbook status --json --state /tmp/rehearsal upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.status(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// Where a status's cluster comes from.
const (
	sourceLive     = "live"     // read from the driver now
	sourceJournal  = "journal"  // the journal's picture: a run holds the lock
	sourceDeclared = "declared" // no run yet: the cluster as declared
)

// statusReport is what `runbook status` shows.
type statusReport struct {
	Runbook  string
	StateDir string
	Driver   string
	Source   string
	// Time is the driver's clock when read (zero if unknown).
	Time    time.Time
	Cluster *cluster.Status
	Steps   []stepStatus
	Holder  *runtime.Holder
	// Error is why the cluster could not be read, if it could not.
	Error string
}

type stepStatus struct {
	Address string `json:"address"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	// Continued is set on a failed step that on_failure = "continue" let
	// the run go past: it is settled, and no later run runs it again.
	Continued bool `json:"continued,omitempty"`
}

func (a *app) status(args *statusArgs) int {
	rb, diags := a.loadRunbookDiags(args.Path, args.Vars, false, nil)
	if rb == nil {
		if args.View == viewJSON {
			(&validateJSON{w: a.stdout}).Results(nil, diags)
		}
		return exitFailed
	}
	store, err := a.openState(args.State, rb, args.Driver)
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	rep := &statusReport{Runbook: rb.Name, StateDir: store.Where(""), Driver: runtime.FirstDriver(recs)}
	if rep.Driver == "" {
		rep.Driver = args.Driver
	}
	if rep.Driver == "" {
		rep.Driver = rb.Driver
	}
	last := runtime.StepStatuses(recs)
	for _, s := range rb.Steps {
		ss := stepStatus{Address: s.Address, Status: runtime.StatusPending}
		if r, ok := last[s.Address]; ok {
			ss.Status, ss.Error, ss.Continued = r.Status, r.Error, r.Status == runtime.StatusFailed && r.Continued
		}
		rep.Steps = append(rep.Steps, ss)
	}
	if err := a.readCluster(rep, rb, store, recs); err != nil {
		rep.Error = err.Error()
	}
	return a.statusView(args.View).Status(rep)
}

// readCluster fills in the cluster's status. The simulator's state is
// opened only under the state's lock, so that status never races a run.
func (a *app) readCluster(rep *statusReport, rb *lang.Runbook, store runtime.Store, recs []runtime.Record) error {
	kind, err := a.driverKind(rb, rep.Driver)
	if err != nil {
		return err
	}
	fresh := !stored(store, recs)
	if sk, ok := kind.(drivers.StateKeeper); ok {
		fresh = !sk.Kept(store)
	}
	if fresh {
		rep.Source, rep.Cluster = sourceDeclared, rb.Cluster.InitialStatus()
		return nil
	}
	lock, err := store.Lock(context.Background(), runtime.CurrentHolder(commandLine(a.argv)), runtime.LockOptions{})
	var locked *runtime.LockedError
	if errors.As(err, &locked) {
		rep.Holder = locked.Holder
		snap, err := runtime.ReadSnapshot(store)
		if err != nil {
			return fmt.Errorf("a run holds the lock, and the journal's snapshot is unreadable: %v", err)
		}
		rep.Source, rep.Cluster = sourceJournal, runtime.Expected(snap, recs)
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	opened, err := a.openDriver(kind, rb, lock, nil, nil)
	if err != nil {
		return err
	}
	defer opened.CloseDriver()
	drv := opened.Driver
	st, err := drv.Status(context.Background())
	if err != nil {
		return err
	}
	rep.Source, rep.Cluster, rep.Time = sourceLive, st.Clone(), drv.Now()
	return nil
}

// stored reports whether a run has left anything in the store: a journal,
// or a lock.
func stored(store runtime.Store, recs []runtime.Record) bool {
	if len(recs) > 0 {
		return true
	}
	h, err := store.Holder()
	return h != nil || err != nil
}

// exists reports whether the store keeps a blob of that name.
func exists(store runtime.Store, name string) bool {
	_, err := store.Get(name)
	return err == nil
}
