package builtin_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
)

// genCluster is the generated runbook's cluster of n nodes (testdata/gen):
// a shared resource homed on each node that fails over to the next, and a
// licence for 6.5.
func genCluster(n int) *cluster.Cluster {
	nodes := make([]cluster.Node, n)
	res := make([]cluster.Resource, n)
	for i := range nodes {
		nodes[i] = cluster.Node{Name: fmt.Sprintf("N%d", i), Address: fmt.Sprintf("10.0.%d.%d", i/256, i%256), Version: "6.0"}
	}
	for i := range res {
		res[i] = cluster.Resource{Name: fmt.Sprintf("R%d", i), Shared: true, Preferred: []string{nodes[i].Name, nodes[(i+1)%n].Name}}
	}
	return cluster.NewCluster("big", nodes, res,
		[]cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: n}})
}

// BenchmarkProcedure runs the generated runbook's procedure on a cluster of
// 10,000 nodes (install the licence; upgrade each node and await its
// failback; upgrade the media) through the step types' Check, Run and
// Done, as the runtime does, on the simulator: as validate's abstract run
// makes it (no durations, no downtime), and as a rehearsal does (timings,
// downtime, each operation's changes logged for the state directory, the
// changes taken after each step as the runtime's observer takes them).
func BenchmarkProcedure(b *testing.B) {
	c := genCluster(10000)
	for _, mode := range []struct {
		name      string
		opts      sim.Options
		persisted bool
	}{
		{"abstract", sim.Options{Timings: sim.DefaultTimings(), Instant: true, Lenient: true, NoDowntime: true}, false},
		{"rehearsal", sim.Options{Timings: sim.DefaultTimings()}, true},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			ins := procedure(c)
			for b.Loop() {
				b.StopTimer()
				var s *sim.Sim
				if mode.persisted {
					var err error
					if s, err = sim.Open(memStore{}, c, mode.opts); err != nil {
						b.Fatal(err)
					}
				} else {
					s = sim.New(c, mode.opts)
				}
				env := &steps.Env{Cluster: c, Driver: s, Poll: 5 * time.Second}
				b.StartTimer()
				if err := runProcedure(env, ins, mode.persisted); err != nil {
					b.Fatal(err)
				}
				if mode.persisted {
					b.StopTimer()
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
		})
	}
}

// memStore is a state directory in memory whose streams write nowhere.
type memStore map[string][]byte

func (m memStore) Where(name string) string { return name }
func (m memStore) Get(name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}
func (m memStore) Put(name string, b []byte) error { m[name] = b; return nil }
func (m memStore) Stream(string) (io.WriteCloser, error) {
	return nopCloser{io.Discard}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// runProcedure runs the instances in order, as the runtime does, and
// returns the first problem or error; changes takes the simulator's changes
// after each step.
func runProcedure(env *steps.Env, ins []*steps.Instance, changes bool) error {
	reg := builtin.Registry()
	ctx := context.Background()
	for _, in := range ins {
		typ := reg[in.Type]
		st, err := env.Driver.Status(ctx)
		if err != nil {
			return err
		}
		for _, p := range typ.Check(env, st, in) {
			if !p.Warning {
				return fmt.Errorf("%s: %w", in.Address, p)
			}
		}
		timeout := in.Timeout
		if timeout == 0 {
			timeout = typ.DefaultTimeout()
		}
		if err := typ.Run(ctx, env, in, env.Driver.Now().Add(timeout)); err != nil {
			return fmt.Errorf("%s: %w", in.Address, err)
		}
		st, _ = env.Driver.Status(ctx)
		if !typ.Done(env, st, in) {
			return fmt.Errorf("%s: postcondition does not hold after run", in.Address)
		}
		if changes {
			env.Driver.(*sim.Sim).ChangedStatuses()
		}
	}
	return nil
}
