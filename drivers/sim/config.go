package sim

import (
	"time"

	"github.com/runbookhq/runbook/drivers"
)

// Timings are the simulated durations of the cluster's operations, set in
// the runbook's `sim {}` block. Failover, failback and manual migration each
// cost one Migrate per resource, in parallel.
type Timings struct {
	Leave        time.Duration
	Migrate      time.Duration
	Upgrade      time.Duration
	Reboot       time.Duration
	License      time.Duration
	MediaUpgrade time.Duration
	MediaRefresh time.Duration
}

// TimingNames are the attributes of the `sim {}` block, in the order of the
// fields of Timings.
var TimingNames = []string{"leave", "migrate", "upgrade", "reboot", "license", "media_upgrade", "media_refresh"}

// TimingDocs document each attribute of the `sim {}` block.
var TimingDocs = map[string]string{
	"leave":         "a node leaving the cluster",
	"migrate":       "one resource moving between nodes (failover, failback, migration)",
	"upgrade":       "installing the new version on a node",
	"reboot":        "a node rebooting and rejoining",
	"license":       "installing licences",
	"media_upgrade": "upgrading the shared disk media",
	"media_refresh": "one other node re-reading the upgraded media",
}

// DefaultTimings look like a real maintenance window.
func DefaultTimings() Timings {
	return Timings{
		Leave:        10 * time.Second,
		Migrate:      5 * time.Second,
		Upgrade:      30 * time.Minute,
		Reboot:       4 * time.Minute,
		License:      time.Minute,
		MediaUpgrade: 12 * time.Minute,
		MediaRefresh: time.Minute,
	}
}

func (t *Timings) field(name string) *time.Duration {
	switch name {
	case "leave":
		return &t.Leave
	case "migrate":
		return &t.Migrate
	case "upgrade":
		return &t.Upgrade
	case "reboot":
		return &t.Reboot
	case "license":
		return &t.License
	case "media_upgrade":
		return &t.MediaUpgrade
	case "media_refresh":
		return &t.MediaRefresh
	}
	return nil
}

// Set sets the timing called name; false if there is no such timing.
func (t *Timings) Set(name string, d time.Duration) bool {
	f := t.field(name)
	if f == nil {
		return false
	}
	*f = d
	return true
}

// Get returns the timing called name.
func (t *Timings) Get(name string) (time.Duration, bool) {
	f := t.field(name)
	if f == nil {
		return 0, false
	}
	return *f, true
}

// Fault kinds for --fault KIND:TARGET.
const (
	FaultRebootFails       = "reboot-fails"        // NODE: the node does not come back from its reboot
	FaultFailbackStalls    = "failback-stalls"     // RESOURCE: the resource never moves back home
	FaultLicenseRejected   = "license-rejected"    // LICENSE: the cluster rejects the licence
	FaultMediaUpgradeFails = "media-upgrade-fails" // NODE: the media upgrade or refresh fails on the node
	FaultUpgradeInDoubt    = "upgrade-in-doubt"    // NODE: the upgrade happens, but the driver reports a lost connection
	FaultMigrateFails      = "migrate-fails"       // RESOURCE: moving the resource fails
)

// FaultKinds lists every fault kind with what its target names.
var FaultKinds = []drivers.FaultKind{
	{Kind: FaultRebootFails, Target: "node", Doc: "the node does not come back from its reboot"},
	{Kind: FaultFailbackStalls, Target: "resource", Doc: "the resource never fails back to its home node"},
	{Kind: FaultLicenseRejected, Target: "license", Doc: "the cluster rejects the licence"},
	{Kind: FaultMediaUpgradeFails, Target: "node", Doc: "the media upgrade or refresh fails on the node"},
	{Kind: FaultUpgradeInDoubt, Target: "node", Doc: "the upgrade takes effect, but the connection drops before it reports (in doubt)"},
	{Kind: FaultMigrateFails, Target: "resource", Doc: "moving the resource between nodes fails"},
}

// Fault is a fault to inject.
type Fault = drivers.Fault

// ParseFault parses KIND:TARGET, one of FaultKinds.
func ParseFault(s string) (Fault, error) { return drivers.ParseFault(s, FaultKinds) }
