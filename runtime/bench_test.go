package runtime_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/etcdtest"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/etcd"
	"github.com/runbookhq/runbook/stores/local"
)

var benchSizes = []int{100, 1000, 10000}

// BenchmarkRun is a whole simulated run of a cluster of n nodes and 2n
// resources through the runtime, with its journal on disk (no fsync, as for
// the simulator). Compare with BenchmarkBare for the runtime's own cost.
// Its cpu-ns/step is the CPU time of the run's own thread (on Linux): the
// loop's, without the state's writer, which the machine's load does not
// change.
func BenchmarkRun(b *testing.B) { benchRun(b, true) }

// BenchmarkObserved is BenchmarkRun's run with no journal: the runner,
// its observer, the step types and the simulator, without the state's
// records and writes. Between BenchmarkBare and BenchmarkRun, it tells the
// run loop's cost from the journal's.
func BenchmarkObserved(b *testing.B) { benchRun(b, false) }

// benchRun runs BenchmarkRun's runs, with a journal in a state directory
// or none.
func benchRun(b *testing.B, journal bool) {
	for _, n := range benchSizes {
		c := large(n)
		rb := procedure(c)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			// The run's loop is this goroutine's, on this thread.
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
				opts := runtime.Options{Registry: builtin.Registry(), Driver: s, DriverName: "sim", Poll: 2 * time.Second}
				var st *runtime.State
				if journal {
					var err error
					st, err = runtime.OpenState(local.New(b.TempDir()), runtime.CurrentHolder("bench"), runtime.LockOptions{WriteBehind: true})
					if err != nil {
						b.Fatal(err)
					}
					opts.State = st
				}
				b.StartTimer()
				cpu0 := threadCPU()
				res := runtime.Run(context.Background(), rb, opts)
				cpu += threadCPU() - cpu0
				b.StopTimer()
				if st != nil {
					st.Close()
				}
				if res.Outcome != runtime.OutcomeCompleted {
					b.Fatalf("%s: %s", res.Outcome, res.Message)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rb.Steps)), "ns/step")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(rb.Steps)), "cpu-ns/step")
		})
	}
}

// BenchmarkBare runs the same steps on the same simulator with nothing but
// the step contract (Check, Run, Done): the simulator's and the step types'
// cost, without journal, observation or events.
func BenchmarkBare(b *testing.B) {
	reg := builtin.Registry()
	for _, n := range benchSizes {
		c := large(n)
		rb := procedure(c)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			// The run's loop is this goroutine's, on this thread.
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
				env := &steps.Env{Cluster: c, Driver: s, Poll: 2 * time.Second}
				ctx := context.Background()
				b.StartTimer()
				for _, step := range rb.Steps {
					typ := reg[step.Type]
					st, _ := s.Status(ctx)
					typ.Check(env, st, &step.Instance)
					if err := typ.Run(ctx, env, &step.Instance, s.Now().Add(step.Timeout)); err != nil {
						b.Fatal(err)
					}
					st, _ = s.Status(ctx)
					if !typ.Done(env, st, &step.Instance) {
						b.Fatal("not done")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rb.Steps)), "ns/step")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(rb.Steps)), "cpu-ns/step")
		})
	}
}

// BenchmarkStore is BenchmarkRun's run with its journal in each kind of
// state store: a state directory (synced to disk, as for a real cluster)
// and a three-member etcd cluster on this machine (its members do not
// sync: the cost measured is the store's, its requests and transactions).
// Its ns/step is the cost of a step with the store.
func BenchmarkStore(b *testing.B) {
	c := etcdtest.Start(b, etcdtest.Options{})
	opened := 0
	stores := []struct {
		name string
		open func(b *testing.B, n, i int) runtime.Store
	}{
		{"local", func(b *testing.B, n, i int) runtime.Store { return local.New(b.TempDir()) }},
		{"etcd", func(b *testing.B, n, i int) runtime.Store {
			// A prefix of its own for every run: the benchmark calls this
			// function again for each b.N, with i from 0 again.
			opened++
			s, err := etcd.Open(fmt.Sprintf("etcd://%s/bench/%d/%d", strings.Join(c.Endpoints(), ","), n, opened), func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, n := range []int{100, 1000} {
		cl := large(n)
		rb := procedure(cl)
		for _, store := range stores {
			b.Run(fmt.Sprintf("store=%s/nodes=%d", store.name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					s := sim.New(cl, sim.Options{Timings: sim.DefaultTimings()})
					st, err := runtime.OpenState(store.open(b, n, i), runtime.CurrentHolder("bench"), runtime.LockOptions{Durable: true})
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					res := runtime.Run(context.Background(), rb, runtime.Options{Registry: builtin.Registry(), Driver: s, State: st, DriverName: "sim", Poll: 2 * time.Second})
					b.StopTimer()
					st.Close()
					if res.Outcome != runtime.OutcomeCompleted {
						b.Fatalf("%s: %s", res.Outcome, res.Message)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rb.Steps)), "ns/step")
			})
		}
	}
}

// BenchmarkAppend journals a run's worth of records, as a simulated run of
// 1,000 nodes journals them (a step's start, its operations' intents and
// outcomes, the changes observed, its end), in a state directory that holds
// writes back, with its records encoded and written at once ("now") or on
// the state's own goroutine ("behind", as for the simulator). Its ns/record
// is the cost on the run's goroutine: the state's close, which waits for
// the last writes, is not timed; its cpu-ns/record is the CPU time of the
// run's thread alone (on Linux), which the rest of the machine's load does
// not change.
func BenchmarkAppend(b *testing.B) {
	t0 := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	const nodes = 1000
	var addrs, names [nodes]string
	for i := range nodes {
		addrs[i], names[i] = fmt.Sprintf("rolling.all[N%d].upgrade-node.up", i), fmt.Sprintf("N%d", i)
	}
	for _, behind := range []bool{false, true} {
		name := "now"
		if behind {
			name = "behind"
		}
		b.Run(name, func(b *testing.B) {
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			records := 0
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				st, err := runtime.OpenState(local.New(b.TempDir()), runtime.CurrentHolder("bench"), runtime.LockOptions{WriteBehind: true})
				if err != nil {
					b.Fatal(err)
				}
				if !behind {
					st = runtime.WriteAtOnce(st)
				}
				b.StartTimer()
				cpu0 := threadCPU()
				for i := range nodes {
					addr, node := addrs[i], names[i]
					t := t0.Add(time.Duration(i) * time.Hour)
					st.Append(runtime.Record{Type: runtime.RecordStep, Time: t, Address: addr, Status: runtime.StatusStarted})
					for _, op := range []string{"leave", "upgrade"} {
						st.Append(runtime.Record{Type: runtime.RecordOp, Time: t, Address: addr, Op: op})
						st.Append(runtime.Record{Type: runtime.RecordOpEnd, Time: t.Add(time.Minute), Address: addr, Op: op, Outcome: runtime.OpOK})
						st.Observe(runtime.Record{Type: runtime.RecordChange, Time: t.Add(time.Minute), Address: addr,
							Change: &runtime.Change{Kind: runtime.ChangeNode, Name: node, FromState: "up", ToState: "down", FromVersion: "6.0", ToVersion: "6.5"}})
					}
					st.Append(runtime.Record{Type: runtime.RecordStep, Time: t.Add(time.Hour), Address: addr, Status: runtime.StatusDone, Started: &t, Outages: &runtime.Outages{}})
					records += 8
				}
				cpu += threadCPU() - cpu0
				b.StopTimer()
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(records), "cpu-ns/record")
		})
	}
}
