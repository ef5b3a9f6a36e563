package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// slotWork is what a fleet runner took a slot of the cap for, kept in the
// slot beyond the runner's life: the cluster it rolls. A runner that takes
// the slot next reads that cluster's journal: while a command the run
// there started may still act on the cluster (it outlived its runner), the
// slot stays taken.
type slotWork struct {
	Cluster string `json:"cluster"`
	// State is the cluster's state under the fleet's --state: NAME, or
	// NAME@DRIVER.
	State string `json:"state"`
	// Timeout is the longest step timeout of its runbook: how long after
	// its start a command on another machine holds the slot, for a taker
	// that does not have the cluster's runbook.
	Timeout string         `json:"timeout"`
	Holder  runtime.Holder `json:"holder"`
}

// slotWorkFor is the work kept in the slot taken for c: nil for a cluster
// on a simulator, which starts no command.
func (f *fleetRunner) slotWorkFor(c *fleetCluster) []byte {
	if c.simulated() {
		return nil
	}
	var longest time.Duration
	for _, s := range c.rrb.Steps {
		longest = max(longest, s.Timeout)
	}
	b, err := json.Marshal(slotWork{Cluster: c.Name, State: c.stateName, Timeout: longest.String(), Holder: f.holder})
	if err != nil {
		return nil
	}
	return b
}

// slotHold is a command that holds a slot: it outlived the runner that
// took the slot to roll its cluster.
type slotHold struct {
	Slot int
	Work slotWork
	Cmd  runtime.LiveCommand
	// Timeout and Until, for a command on another machine: the slot is
	// taken until its step's timeout has passed since it started.
	Timeout time.Duration
	Until   time.Time
}

// String says why the slot is held.
func (h *slotHold) String() string {
	c := h.Cmd
	// A slot of this process's cap (Slot < 0) has no number, and the run
	// that died is an earlier one's.
	slot, who := "a slot", "an earlier run"
	if h.Slot >= 0 {
		slot = fmt.Sprintf("slot %d", h.Slot)
		who = fmt.Sprintf("%s@%s PID %d", h.Work.Holder.User, h.Work.Holder.Host, h.Work.Holder.PID)
	}
	if c.Elsewhere {
		return fmt.Sprintf("%s is held by the command of %s's step %s (%s, process group %d on %s), which outlived its runner (%s): this machine cannot see whether it still runs, so the slot stays taken until the step's timeout of %s has passed since it started, at %s",
			slot, h.Work.Cluster, c.Address, c.Op, c.Pgid, c.Host, who, h.Timeout, h.Until.Format("15:04:05"))
	}
	return fmt.Sprintf("%s is held by the command of %s's step %s (%s, process group %d), which outlived its runner (%s): no cluster starts in the slot until it ends (to stop it: kill -TERM -- -%d)",
		slot, h.Work.Cluster, c.Address, c.Op, c.Pgid, who, c.Pgid)
}

// slotCluster is what this process knows of a cluster whose work a slot
// may keep: its state (nil: opened by its name under --state) and its
// steps' timeouts.
type slotCluster struct {
	store    runtime.Store
	timeouts map[string]time.Duration
	// rolling is set when a live runner holds it (fleet status).
	rolling bool
}

// stepTimeouts are a runbook's steps' timeouts, by address.
func stepTimeouts(rb *runtime.Runbook) map[string]time.Duration {
	out := make(map[string]time.Duration, len(rb.Steps))
	for _, s := range rb.Steps {
		out[s.Address] = s.Timeout
	}
	return out
}

// Short says it on the fleet's live line.
func (h *slotHold) Short() string {
	slot := "a slot"
	if h.Slot >= 0 {
		slot = fmt.Sprintf("slot %d", h.Slot)
	}
	if h.Cmd.Elsewhere {
		return fmt.Sprintf("%s held by %s's command on %s (process group %d) until %s", slot, h.Work.Cluster, h.Cmd.Host, h.Cmd.Pgid, h.Until.Format("15:04:05"))
	}
	return fmt.Sprintf("%s held by %s's command (process group %d), which outlived its runner", slot, h.Work.Cluster, h.Cmd.Pgid)
}

// slotHolder finds whether the work kept in slot k still holds it, and by
// which command. known are the clusters this process has, by state name;
// the journal of another is read from the state under root, and the
// longest step timeout the work names stands for its steps'. An error (the
// journal unreadable) leaves the slot taken for the caller.
func (a *app) slotHolder(root string, known func(state string) *slotCluster, k int, kept []byte) (*slotHold, error) {
	var w slotWork
	if err := json.Unmarshal(kept, &w); err != nil || w.State == "" || filepath.Base(w.State) != w.State || w.State == ".." || w.State == "." {
		return nil, nil // not a runner's: it says nothing of a command
	}
	var recs []runtime.Record
	var err error
	c := known(w.State)
	if c == nil {
		c = &slotCluster{}
	}
	if c.store != nil {
		recs, err = runtime.ReadJournal(c.store)
	} else {
		var store runtime.Store
		if store, err = a.openStore(fleetStateRef(root, w.State)); err == nil {
			recs, err = runtime.ReadJournal(store)
			closeStore(store)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("slot %d: reading the journal of %s, the cluster its last runner took it for: %w", k, w.Cluster, err)
	}
	return commandHold(k, w, recs, c.timeouts), nil
}

// commandHold is the first command of the journal recs of w's cluster that
// holds slot k: its process group alive on this machine, or, run on
// another, its step's timeout (timeouts, else the longest w names) not
// passed since it started. nil when none does.
func commandHold(k int, w slotWork, recs []runtime.Record, timeouts map[string]time.Duration) *slotHold {
	longest, _ := time.ParseDuration(w.Timeout)
	for _, lc := range runtime.LiveCommands(recs) {
		h := &slotHold{Slot: k, Work: w, Cmd: lc}
		if lc.Elsewhere {
			h.Timeout = longest
			if t, ok := timeouts[lc.Address]; ok {
				h.Timeout = t
			}
			if h.Until = lc.Started.Add(h.Timeout); !time.Now().Before(h.Until) {
				continue
			}
		}
		return h
	}
	return nil
}

// slotBusy tells the fleet's slots whether the work kept in slot k holds
// it still, and says so when that changes.
func (f *fleetRunner) slotBusy(k int, kept []byte) bool {
	var w slotWork
	if json.Unmarshal(kept, &w) == nil && f.byState[w.State] != nil && f.rolling[f.byState[w.State]] {
		// Rolling here: its run, which waits for any command of an
		// earlier one before it acts, holds a slot of its own.
		return false
	}
	h, err := f.a.slotHolder(f.args.State, func(state string) *slotCluster {
		if c := f.byState[state]; c != nil {
			return &slotCluster{store: c.store, timeouts: stepTimeouts(c.rrb)}
		}
		return nil
	}, k, kept)
	return f.sayHeld(k, h, err)
}

// sayHeld says why slot k is held (h, or err), once, and that it is free
// again once it is; it reports whether it is held.
func (f *fleetRunner) sayHeld(k int, h *slotHold, err error) bool {
	why := ""
	switch {
	case err != nil:
		why = "Error: " + err.Error() + "; the slot stays taken"
	case h != nil:
		why = "Waiting: " + h.String() + "."
	}
	short := ""
	if h != nil {
		short = h.Short()
	}
	if f.slotShort[k] != short {
		if short == "" {
			delete(f.slotShort, k)
		} else {
			f.slotShort[k] = short
		}
		if v, ok := f.view.(interface{ SlotsHeld([]string) }); ok {
			var held []string
			for _, k := range slices.Sorted(maps.Keys(f.slotShort)) {
				held = append(held, f.slotShort[k])
			}
			v.SlotsHeld(held)
		}
	}
	if prev := f.slotHeld[k]; why != prev {
		switch {
		case why != "":
			f.notices().SlotHeld(why)
		case prev != "" && k >= 0:
			f.notices().SlotHeld(fmt.Sprintf("Slot %d is free again: the command that held it has ended (or, run on another machine, its step's timeout has passed).", k))
		case prev != "":
			f.notices().SlotHeld("A slot is free again: the command that held it has ended (or, run on another machine, its step's timeout has passed).")
		}
		f.slotHeld[k] = why
	}
	return why != ""
}

// commandsLeft reports whether a command of c's runs may still run: its
// slot then keeps its work when released.
func (f *fleetRunner) commandsLeft(c *fleetCluster) bool {
	recs, err := runtime.ReadJournal(c.store)
	return err != nil || len(runtime.LiveCommands(recs)) > 0
}

// outlived are the clusters of a fleet run without shared slots whose
// journal, when it started, had a command that may still run: each holds
// a slot of the process's cap while it does (processSlots.held).
func (f *fleetRunner) outlived() []*fleetCluster {
	var out []*fleetCluster
	for _, c := range f.clusters {
		if c.rb == nil || c.simulated() {
			continue
		}
		if recs, err := runtime.ReadJournal(c.store); err == nil && len(runtime.LiveCommands(recs)) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// outlivedHolds counts the slots of the process's cap that commands of
// the clusters of outlived hold, which outlived the run that started them,
// saying why; those ended are dropped from it. A cluster rolling here holds
// its own slot, and its run waits for such a command before it acts.
func (f *fleetRunner) outlivedHolds() int {
	n := 0
	f.outlivedLeft = slices.DeleteFunc(f.outlivedLeft, func(c *fleetCluster) bool {
		if f.rolling[c] {
			return false
		}
		i := -1 - slices.Index(f.clusters, c)
		recs, err := runtime.ReadJournal(c.store)
		var h *slotHold
		if err == nil {
			h = commandHold(-1, slotWork{Cluster: c.Name}, recs, stepTimeouts(c.rrb))
		}
		if f.sayHeld(i, h, err) {
			n++
			return false
		}
		return true
	})
	return n
}
