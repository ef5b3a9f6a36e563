package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

func (a *app) fleetStatusCommand() *cobra.Command {
	var args fleetStatusArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "status [flags] PATH...",
		Short: "Show where each cluster of a fleet stands, and the fleet's totals",
		Long: `Fleet status reads each cluster's journal and lock and says where it stands:
done (every step done or skipped), rolling (a run holds it: which runner, which
step), failed (why: an invalid runbook, a failed step, a changed cluster) or
waiting (not started yet, or stopped: a fleet run resumes it). Give it the
PATHs and the --state and --driver that fleet run was given.

Exit status: 0 shown, 2 usage error.`,
		Example: `  runbook fleet status clusters/*/
  runbook fleet status --json --state /tmp/rehearsal east.hcl west.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.fleetStatus(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// Where a cluster of a fleet stands.
const (
	standDone    = "done"
	standRolling = "rolling"
	standFailed  = "failed"
	standWaiting = "waiting"
)

// clusterStanding is one line of `fleet status`.
type clusterStanding struct {
	Cluster string `json:"cluster"`
	Path    string `json:"path"`
	Status  string `json:"status"`
	// Runner is who holds a rolling cluster: user@host PID.
	Runner string `json:"runner,omitempty"`
	// Step is the step in flight of a rolling cluster, or where a stopped
	// or failed one stands.
	Step string `json:"step,omitempty"`
	// Why says why a cluster failed, or why one waiting stopped.
	Why   string `json:"why,omitempty"`
	State string `json:"state,omitempty"`
	// Done and Steps count the settled steps and all of them.
	Done  int `json:"steps_done"`
	Steps int `json:"steps"`
	// stateName is its state's name under --state.
	stateName string
}

type fleetStatusReport struct {
	Clusters []clusterStanding `json:"clusters"`
	Totals   map[string]int    `json:"totals"`
	// Slots are the slots of the cap held by commands that outlived their
	// runners.
	Slots []slotStanding `json:"slots,omitempty"`
}

// slotStanding is a slot of the fleet's cap that a command holds, which
// outlived the runner that took the slot.
type slotStanding struct {
	Slot    int    `json:"slot"`
	Cluster string `json:"cluster"`
	Step    string `json:"step"`
	Op      string `json:"op"`
	Pgid    int    `json:"pgid"`
	Host    string `json:"host"`
	// Runner is the runner that died: user@host PID.
	Runner string `json:"runner"`
	// Until is set for a command on another machine: the slot is taken
	// until then.
	Until *time.Time `json:"until,omitempty"`
	Why   string     `json:"why"`
}

func (a *app) fleetStatus(args *fleetStatusArgs) int {
	rep := &fleetStatusReport{Totals: map[string]int{standDone: 0, standRolling: 0, standFailed: 0, standWaiting: 0}}
	known := map[string]*slotCluster{}
	for _, path := range args.Paths {
		s := a.standing(path, args, known)
		if c := known[s.stateName]; c != nil && s.Status == standRolling {
			c.rolling = true
		}
		rep.Clusters = append(rep.Clusters, s)
		rep.Totals[s.Status]++
	}
	rep.Slots = a.slotStandings(args.State, known)
	if args.View == viewJSON {
		writeFleetStatusJSON(a.stdout, rep)
	} else {
		writeFleetStatus(a.stdout, rep)
	}
	return exitOK
}

// standing reads where the cluster of the runbook at path stands.
func (a *app) standing(path string, args *fleetStatusArgs, known map[string]*slotCluster) clusterStanding {
	s := clusterStanding{Cluster: path, Path: path}
	rb, diags := a.load(path, lang.Options{Registry: a.registry, Env: os.Environ(), RequireValues: true})
	if diags.HasErrors() || rb == nil {
		errs, _ := countDiags(diags)
		s.Status, s.Why = standFailed, fmt.Sprintf("the runbook is invalid (%s; `runbook validate %s` shows them)", plural(errs, "error"), path)
		return s
	}
	s.Cluster = rb.Name
	driver := args.Driver
	if driver == "" {
		driver = rb.Driver
	}
	store, err := a.openFleetState(args.State, rb, driver)
	if err != nil {
		s.Status, s.Why = standFailed, err.Error()
		return s
	}
	s.stateName = fleetStateName(rb, driver)
	known[s.stateName] = &slotCluster{timeouts: stepTimeouts(runtimeRunbook(rb))}
	defer closeStore(store)
	s.State, s.Steps = store.Where(""), len(rb.Steps)
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		s.Status, s.Why = standFailed, "the journal is unreadable: "+err.Error()
		return s
	}
	last := runtime.StepStatuses(recs)
	var failedStep, failedWhy, next string
	for _, st := range rb.Steps {
		rec, ok := last[st.Address]
		switch {
		case ok && runtime.Settled(rec):
			s.Done++
		case ok && rec.Status == runtime.StatusFailed && failedStep == "":
			failedStep, failedWhy = st.Address, rec.Error
			fallthrough
		default:
			if next == "" {
				next = st.Address
			}
		}
	}
	if stored(store, recs) {
		lock, err := store.Lock(context.Background(), runtime.CurrentHolder(commandLine(a.argv)), runtime.LockOptions{})
		var locked *runtime.LockedError
		switch {
		case errors.As(err, &locked):
			s.Status, s.Step = standRolling, next
			if locked.Holder != nil {
				s.Runner = fmt.Sprintf("%s@%s PID %d", locked.Holder.User, locked.Holder.Host, locked.Holder.PID)
			}
			return s
		case err == nil:
			lock.Release()
		}
	}
	var end *runtime.Record
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Type == runtime.RecordEnd {
			end = &recs[i]
			break
		}
		if recs[i].Type == runtime.RecordRun {
			break // the last run did not end: it was killed
		}
	}
	switch {
	case next == "" && len(recs) > 0:
		s.Status = standDone
	case end != nil && (end.Outcome == runtime.OutcomeFailed || end.Outcome == runtime.OutcomeDrift || end.Outcome == runtime.OutcomeError):
		s.Status, s.Step, s.Why = standFailed, failedStep, end.Message
		if s.Step == "" {
			s.Step = next
		}
	case failedStep != "":
		s.Status, s.Step, s.Why = standFailed, failedStep, failedWhy
	case end != nil:
		s.Status, s.Step, s.Why = standWaiting, next, "stopped: "+end.Message
	case hasRun(recs):
		s.Status, s.Step, s.Why = standWaiting, next, "its last run was killed: the next run settles the step in flight"
	default:
		s.Status = standWaiting
	}
	return s
}

// slotStandings are the slots of the cap of the fleet under --state root
// that commands hold which outlived their runners. The work of a cluster
// rolling is its live runner's; a slot unreadable is not listed.
func (a *app) slotStandings(root string, known map[string]*slotCluster) []slotStanding {
	var kept map[int][]byte
	switch {
	case root == "":
		return nil
	case isStoreURL(root):
		store, err := a.openStore(root)
		if err != nil {
			return nil
		}
		defer closeStore(store)
		ss, ok := store.(runtime.SlotStore)
		if !ok {
			return nil
		}
		slots := ss.Slots("fleet", 0, 0, runtime.CurrentHolder(commandLine(a.argv)))
		defer slots.Close()
		if kept, err = slots.Kept(); err != nil {
			return nil
		}
	default:
		var err error
		if kept, err = (&fileSlots{dir: fleetSlotsDir(root)}).Kept(); err != nil {
			return nil
		}
	}
	var out []slotStanding
	for _, k := range slices.Sorted(maps.Keys(kept)) {
		var w slotWork
		if json.Unmarshal(kept[k], &w) != nil || known[w.State] != nil && known[w.State].rolling {
			continue // a live runner's: its cluster is rolling
		}
		h, err := a.slotHolder(root, func(state string) *slotCluster { return known[state] }, k, kept[k])
		if err != nil || h == nil {
			continue
		}
		st := slotStanding{Slot: k, Cluster: h.Work.Cluster, Step: h.Cmd.Address, Op: h.Cmd.Op, Pgid: h.Cmd.Pgid, Host: h.Cmd.Host,
			Runner: fmt.Sprintf("%s@%s PID %d", h.Work.Holder.User, h.Work.Holder.Host, h.Work.Holder.PID), Why: h.String()}
		if h.Cmd.Elsewhere {
			st.Until = &h.Until
		}
		out = append(out, st)
	}
	return out
}
