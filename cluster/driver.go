package cluster

import (
	"context"
	"errors"
	"time"
)

// Driver is the only way a step acts on a cluster. The simulator (package
// drivers/sim), the exec driver and the Pacemaker driver implement it.
//
// An operation returns once the driver has handed it to the cluster; the
// step, never the driver, decides when the cluster has reached the state it
// wants, by reading Status until its condition holds or its deadline passes.
// An operation that may have taken effect although it reports failure (a
// dropped SSH session, a command killed by its timeout) returns an error that
// wraps ErrInDoubt.
type Driver interface {
	// Status reads the cluster as it is now. The caller must not modify the
	// result; it may change under the caller at the driver's next operation.
	Status(ctx context.Context) (*Status, error)

	// InstallLicense installs a licence cluster-wide.
	InstallLicense(ctx context.Context, l License) error
	// Leave takes the node out of the cluster; the cluster fails its
	// resources over.
	Leave(ctx context.Context, n Node) error
	// Upgrade installs version to on the node, which reboots and rejoins by
	// itself.
	Upgrade(ctx context.Context, n Node, to string) error
	// Migrate moves a running resource to the node.
	Migrate(ctx context.Context, r Resource, n Node) error
	// Offline brings the resource offline for the media upgrade.
	Offline(ctx context.Context, r Resource) error
	// Online runs the resource's load script on the node.
	Online(ctx context.Context, r Resource, n Node) error
	// MediaUpgrade upgrades the shared disk media from the node.
	MediaUpgrade(ctx context.Context, n Node) error
	// MediaRefresh makes the node re-read the upgraded media.
	MediaRefresh(ctx context.Context, n Node) error

	Clock
}

// Clock is the time a driver runs in: the wall clock for a real cluster, a
// virtual clock for the simulator.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// DowntimeReporter is implemented by drivers that account for each
// resource's downtime themselves (the simulator). For other drivers the
// runtime measures it from the status it reads.
type DowntimeReporter interface {
	Downtime() map[string]time.Duration
}

// ChangeTracker is implemented by drivers that know which nodes and
// resources changed (the simulator). It lets the runtime report what changed
// in time proportional to the change rather than to the cluster's size; for
// other drivers the runtime compares whole statuses.
type ChangeTracker interface {
	// Changed returns the names of the nodes and resources whose status
	// changed since the previous call, and whether the licences or the
	// media version did.
	Changed() (nodes, resources []string, clusterWide bool)
}

// ChangeLog is implemented by a ChangeTracker that also says what each
// node and resource that changed was at the previous call and is now (the
// simulator): the runtime need look neither up.
type ChangeLog interface {
	ChangeTracker
	// ChangedStatuses is Changed with the statuses: each node and resource
	// that changed since the previous call of either, once, in the order of
	// their names, with its status then and now. ok is false when nothing
	// was tracked before this call: then any node or resource may have
	// changed, and the lists are empty. The slices are valid until the
	// next call of either.
	ChangedStatuses() (nodes []NodeChange, resources []ResourceChange, clusterWide, ok bool)
}

// NodeChange is a node whose status changed: Old at the previous call (Had
// false if it was not there), New now (Has false if it is gone).
type NodeChange struct {
	Name     string
	Old, New NodeStatus
	Had, Has bool
}

// ResourceChange is a resource whose status changed, as NodeChange a
// node.
type ResourceChange struct {
	Name     string
	Old, New ResourceStatus
	Had, Has bool
}

// InProcess is implemented by a driver whose operations run within the
// runbook's own process (the Pacemaker driver's bounded cluster commands),
// but those Outlives names (an upgrade command that goes on by itself): a
// run that died ended them with it, and their effect is read from the
// cluster, so a resumed step may issue them again where the cluster shows
// none (see Env.Ended).
type InProcess interface {
	Outlives(op string) bool
}

// ErrInDoubt marks an operation whose effect is unknown: it may have happened.
var ErrInDoubt = errors.New("the operation's outcome is in doubt")

// WallClock is the real clock.
type WallClock struct{}

func (WallClock) Now() time.Time { return time.Now() }

func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
