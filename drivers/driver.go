// Package drivers is the driver contract: what a kind of driver declares
// (its name, its block's schema as data, how it opens against a runbook)
// and the Registry the language and the command line are handed, the way
// they are handed the step registry. Each driver is a package under
// drivers/ with a Kind; drivers/builtin lists them.
//
// The language decodes any kind's block from its schema (Block) into a
// Config; the command line opens the driver a run uses through its Kind,
// handing it an Opening. What sets a kind apart (a simulated cluster,
// faults to inject, a live check before a plan, what an interrupted run left
// behind) is an optional interface of this package, never its name.
package drivers

import (
	"context"
	"io"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Kind is a kind of driver: the one value a driver package gives the
// registry.
type Kind interface {
	// Name is what a cluster block's driver attribute and --driver say,
	// and the type of the driver's block in the cluster block.
	Name() string
	// Doc is one line on what the driver acts on.
	Doc() string
	// Block is the schema of the driver's block in the cluster block.
	Block() Block
	// Open opens the driver for a run (or status) of a runbook.
	Open(ctx context.Context, o Opening) (*Opened, error)
}

// Opening is what a driver is opened with: the runbook's declarations and
// the run's state.
type Opening struct {
	// Cluster is the declared cluster.
	Cluster *cluster.Cluster
	// Config is the driver's block, decoded: with the schema's defaults
	// where the runbook sets nothing. Its operations evaluate the runbook's
	// commands.
	Config *Config
	// Dir is the runbook's directory: where commands run.
	Dir string
	// Store keeps the blobs and streams of the run's state (the state
	// store's session, under the run's lock).
	Store Store
	// Redact hides the runbook's sensitive values in what the driver
	// shows or logs; never nil.
	Redact Redactor
	// Steps returns the runbook's step instances in run order, for a
	// driver that needs to know what the run will do (where nodes go):
	// made when called, as most drivers do not need them. nil: no steps.
	Steps func() []Step
	// Faults are the faults to inject (--fault), for a kind that is a
	// FaultInjector; empty otherwise.
	Faults []Fault
	// Ahead is what the kind's Prepare (Preparer) made of this opening
	// ahead of it, or nil: Open uses it where the state leaves it valid.
	Ahead any
}

// Step is one step instance of the runbook.
type Step struct {
	steps.Instance
	// When is false for a step the runbook skips.
	When bool
}

// Opened is an open driver.
type Opened struct {
	Driver cluster.Driver
	// Close releases what the driver holds (its log); nil if nothing.
	Close func() error
	// Poll is how often steps read status while waiting: the block's poll
	// setting, or cluster.DefaultPoll.
	Poll time.Duration
}

// CloseDriver calls o.Close, if any.
func (o *Opened) CloseDriver() error {
	if o == nil || o.Close == nil {
		return nil
	}
	return o.Close()
}

// Store is where a driver keeps what it must across processes (the
// simulator's cluster, the exec driver's log): a state store's session.
type Store interface {
	// Where names a blob or stream for messages.
	Where(name string) string
	// Get reads a blob; an error wrapping fs.ErrNotExist if it is not there.
	Get(name string) ([]byte, error)
	// Put replaces a blob as one atomic write.
	Put(name string, data []byte) error
	// Stream opens a named stream for appending.
	Stream(name string) (io.WriteCloser, error)
}

// Redactor hides the runbook's sensitive values.
type Redactor interface {
	// String returns s with every sensitive value hidden.
	String(s string) string
	// Writer returns a writer that hides them in what goes through it to
	// w; flush writes what it holds back.
	Writer(w io.Writer) (hidden io.Writer, flush func() error)
}

// Simulator is implemented by a kind whose cluster is simulated: its clock
// is virtual, its journal need not survive a power loss, it rehearses any
// runbook (a run with it of a runbook that names another driver is a
// rehearsal, with the block's defaults if the runbook declares none), and
// validate and plan run on its model.
type Simulator interface {
	Kind
	Simulated()
}

// Simulated reports whether k is a Simulator.
func Simulated(k Kind) bool {
	_, ok := k.(Simulator)
	return ok
}

// FaultInjector is implemented by a kind that can inject faults (--fault).
type FaultInjector interface {
	Kind
	// Faults lists the kinds of fault it injects.
	Faults() []FaultKind
}

// Preparer is implemented by a kind whose opening has work that depends
// only on the declared cluster, the driver's block and the faults, not on
// the state (the simulator's declared cluster, as it would write it): a
// caller may have it done ahead, while it validates the runbook, and hand
// what it made to Open as Opening.Ahead.
type Preparer interface {
	Kind
	// Prepare reads what it needs of o (whose Store is nil) at once, and
	// returns the work to do, which may run on another goroutine; Open
	// takes what the work returned as Opening.Ahead.
	Prepare(o Opening) func() any
}

// StateKeeper is implemented by a kind that keeps the cluster itself in
// the run's state (the simulator): status reads it from there only if it is
// there, and shows the declared cluster otherwise.
type StateKeeper interface {
	Kind
	Kept(store Blobs) bool
}

// Blobs reads a store's blobs.
type Blobs interface {
	// Get reads a blob; an error wrapping fs.ErrNotExist if it is not there.
	Get(name string) ([]byte, error)
}

// StateFiles is implemented by a kind that keeps blobs or streams of its
// own in the run's state (the simulator's cluster, the exec driver's log):
// `state push` and `pull` copy them with the journal.
type StateFiles interface {
	Kind
	StateFiles() (blobs, streams []string)
}

// Preflighter is implemented by a kind that can check the live cluster
// against the runbook before a plan, as a run would before its first step.
type Preflighter interface {
	Kind
	// Preflight checks; agreed says what was found to agree.
	Preflight(ctx context.Context, o Opening) (agreed string, err error)
}

// LeftoverClearer is implemented by an open driver that settles, before
// the first step, what an interrupted run left on the cluster (temporary
// constraints). It returns what it removed.
type LeftoverClearer interface {
	ClearLeftovers(ctx context.Context) (removed []string, err error)
}

// DriftError is implemented by an error of Open that refuses the run
// because the cluster differs from what the runbook declares.
type DriftError interface {
	error
	// Summary is one line; Differences are each difference, one a line.
	Summary() string
	Differences() []string
}

// LocalDir is implemented by a Store that is a directory on this machine:
// where a run's commands may leave files of their own.
type LocalDir interface {
	LocalDir() string
}

// ScratchDir is the store's LocalDir, or "" for the system's temporary
// directory.
func ScratchDir(s Store) string {
	if d, ok := s.(LocalDir); ok {
		return d.LocalDir()
	}
	return ""
}
