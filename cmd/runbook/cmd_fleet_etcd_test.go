package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/internal/etcdtest"
)

// TestFleetRunnersEtcd is TestFleetRunners on etcd: three runners over
// twenty stand-in clusters with their state in a three-member etcd cluster,
// the cap of four held across them by the store's slots; the clusters of
// the runner killed are taken over once their leases (--lock-ttl 2s)
// expire, and resumed from their journals in etcd.
func TestFleetRunnersEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster and real processes")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	testFleetRunners(t, 20, "etcd://"+strings.Join(c.Endpoints(), ",")+"/fleet", "--lock-ttl", "2s")
}

// TestFleetFailuresAcrossRunnersEtcd is TestFleetFailuresAcrossRunners on a
// three-member etcd cluster: the failures are keys under the fleet's prefix,
// and the window is the runners' leases.
func TestFleetFailuresAcrossRunnersEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	n := 0
	testFleetFailuresAcross(t, func(t *testing.T) string {
		n++
		return fmt.Sprintf("etcd://%s/failures%d", strings.Join(c.Endpoints(), ","), n)
	})
}

// TestFleetSlotOutlivedCommandEtcd is TestFleetSlotOutlivedCommand with the
// slots in a three-member etcd cluster: the runner killed leaves its slot
// once its lease expires (--lock-ttl 2s), and the work it kept there holds
// the slot until its command ends.
func TestFleetSlotOutlivedCommandEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster and real processes")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	testFleetSlotOutlived(t, "etcd://"+strings.Join(c.Endpoints(), ",")+"/fleet", "--lock-ttl", "2s")
}
