package main

import (
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/redact"
)

// openedRun is a run's state and driver, open: what `run` and each cluster
// of `fleet run` open before runtime.Run, and close after it.
type openedRun struct {
	State *runtime.State
	*drivers.Opened
}

// openRun claims the run's state in dir (its lock: a *runtime.LockedError
// when another run holds it) and opens the driver. The journal hides the
// values hidden hides; it reaches the disk before each operation unless the
// kind is a simulator. lock says how to take the lock. Before the driver is opened, ready (if set) is
// called with the open state; an error from it ends the opening there.
// ahead, if not nil, is what was made of the driver's opening ahead of it.
func (a *app) openRun(store runtime.Store, kind drivers.Kind, command string, rb *lang.Runbook, hidden *redact.Redactor, faults []drivers.Fault, confirmation *runtime.Approval, lock runtime.LockOptions, ready func(*runtime.State) error, ahead *openingAhead) (*openedRun, error) {
	// A real cluster's journal must survive a power loss; the simulator's
	// is only as real as its cluster.
	lock.Durable = !drivers.Simulated(kind)
	// A simulator that keeps its cluster in the state's own streams: the
	// journal and it may be written together, in order, a moment later.
	_, keeper := kind.(drivers.StateKeeper)
	lock.WriteBehind = drivers.Simulated(kind) && keeper
	st, err := runtime.OpenState(store, runtime.CurrentHolder(command), lock)
	if err != nil {
		return nil, err
	}
	st.Confirmation = confirmation
	if hidden != nil {
		// Without sensitive values, nothing to hide: the journal's lines
		// are not scanned.
		st.Redact = hidden.String
	}
	if ready != nil {
		if err := ready(st); err != nil {
			st.Close()
			return nil, err
		}
	}
	opened, err := a.openDriver(kind, rb, st.Session(), faults, ahead)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &openedRun{State: st, Opened: opened}, nil
}
