package sim

import (
	"context"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
)

// Name is the simulator's name: the default driver, and the block of its
// timings.
const Name = "sim"

// Kind is the simulator as a kind of driver. It is the registry's default:
// a runbook that names no driver runs on it, and it rehearses any runbook.
type Kind struct{}

var (
	_ drivers.Simulator     = Kind{}
	_ drivers.FaultInjector = Kind{}
	_ drivers.StateKeeper   = Kind{}
	_ drivers.StateFiles    = Kind{}
	_ drivers.Preparer      = Kind{}
)

func (Kind) Name() string { return Name }

func (Kind) Doc() string {
	return "a simulated cluster on a virtual clock, kept in the run's state: rehearses any runbook"
}

// Block is the sim block: the simulated duration of each operation.
func (Kind) Block() drivers.Block {
	def := DefaultTimings()
	var b drivers.Block
	for _, n := range TimingNames {
		d, _ := def.Get(n)
		b.Settings = append(b.Settings, drivers.Setting{Name: n, Type: drivers.Duration, Default: d, Doc: TimingDocs[n]})
	}
	return b
}

// Simulated marks the simulator as a drivers.Simulator.
func (Kind) Simulated() {}

// Faults are the faults --fault injects.
func (Kind) Faults() []drivers.FaultKind { return FaultKinds }

// StateFiles are the simulated cluster and its changes since.
func (Kind) StateFiles() (blobs, streams []string) {
	return []string{StateName}, []string{logName}
}

// Kept reports whether store keeps a simulated cluster.
func (Kind) Kept(store drivers.Blobs) bool {
	_, err := store.Get(StateName)
	return err == nil
}

// Open opens the simulator persisted in o.Store, with the timings of
// o.Config and o.Faults; from o.Ahead (Prepare's) if the store keeps no
// simulated cluster.
func (Kind) Open(_ context.Context, o drivers.Opening) (*drivers.Opened, error) {
	ahead, _ := o.Ahead.(*Fresh)
	s, err := openFrom(o.Store, o.Cluster, Options{Timings: TimingsOf(o.Config), Faults: o.Faults}, ahead)
	if err != nil {
		return nil, err
	}
	return &drivers.Opened{Driver: s, Close: s.Close, Poll: cluster.DefaultPoll}, nil
}

// Prepare makes ahead the simulator Open starts when the store keeps no
// simulated cluster (NewFresh), with the timings of o.Config and o.Faults.
func (Kind) Prepare(o drivers.Opening) func() any {
	c, opts := o.Cluster, Options{Timings: TimingsOf(o.Config), Faults: o.Faults}
	return func() any { return NewFresh(c, opts) }
}

// TimingsOf returns the timings of a decoded sim block. Its decoding gave
// each timing the runbook does not set its default (Block's), so none is
// applied here again. nil (no block decoded: a registry without the
// simulator) is DefaultTimings.
func TimingsOf(c *drivers.Config) Timings {
	if c == nil {
		return DefaultTimings()
	}
	var t Timings
	for _, n := range TimingNames {
		t.Set(n, c.Duration(n))
	}
	return t
}
