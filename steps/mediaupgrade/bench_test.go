package mediaupgrade_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/mediaupgrade"
)

// BenchmarkRun is the media upgrade of a cluster of n nodes that all run
// the new version, with a shared resource homed on each (as in the
// generated runbook), on the simulator without durations.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		nodes := make([]cluster.Node, n)
		res := make([]cluster.Resource, n)
		for i := range nodes {
			nodes[i] = cluster.Node{Name: fmt.Sprintf("N%d", i), Version: "6.0"}
		}
		for i := range res {
			res[i] = cluster.Resource{Name: fmt.Sprintf("R%d", i), Shared: true, Preferred: []string{nodes[i].Name, nodes[(i+1)%n].Name}}
		}
		c := cluster.NewCluster("CL", nodes, res, nil)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			in := &steps.Instance{Address: "step.media-upgrade.m", Type: "media-upgrade", Args: steps.Args{"on": nodes[0]}, Timeout: 2 * time.Hour}
			for b.Loop() {
				b.StopTimer()
				s := sim.New(c, sim.Options{Timings: sim.DefaultTimings(), Instant: true, Lenient: true})
				for _, nd := range nodes {
					if err := s.Upgrade(ctx, nd, "6.5"); err != nil {
						b.Fatal(err)
					}
				}
				env := &steps.Env{Cluster: c, Driver: s, Poll: 24 * time.Hour}
				b.StartTimer()
				if err := (mediaupgrade.Type{}).Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
