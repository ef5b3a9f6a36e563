package pacemaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/runbookhq/runbook/drivers/pacemaker"
	"github.com/runbookhq/runbook/internal/pacemaker/harness"
)

// BenchmarkStatusLive reads the status of a live three-node cluster (the
// harness's), as every poll of every wait does: crm_mon, the CIB, the
// corosync membership and each node's version, side by side. The
// "membership" sub-benchmark reads only the membership, for its own cost.
//
//	go test -run '^$' -bench StatusLive -benchtime 200x ./drivers/pacemaker
func BenchmarkStatusLive(b *testing.B) {
	harness.Require(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := harness.CleanupLeftovers("runbook-pcmk-bench"); err != nil {
		b.Fatal(err)
	}
	c, err := harness.Start(ctx, harness.Options{Prefix: "runbook-pcmk-bench", Resources: harness.DefaultResources(), Timeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	d, err := pacemaker.New(pacemaker.Config{Nodes: c.Nodes(), Run: c.Exec})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("status", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Status(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("membership", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Exec(ctx, "n1", "corosync-quorumtool", "-l", "-p"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crm_mon", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Exec(ctx, "n1", "crm_mon", "--output-as=xml", "--inactive"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
