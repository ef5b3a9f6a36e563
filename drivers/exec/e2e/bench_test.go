package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/exec"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

// BenchmarkExecRun runs the whole reference procedure on a 100-node cluster
// through the runtime, the built-in steps and the exec driver against the
// stand-in, with a journal that syncs every record as `runbook run` does. It
// times every driver call (the command's own time: spawning it, its work,
// reading its output) and reports, per driver call, the runtime's overhead
// beside it: the run's wall time less the time spent inside the driver. It
// also reports, on the final cluster, a status read through the driver beside
// spawning the same command directly, which is the driver's own overhead.
//
//	go test -run '^$' -bench ExecRun -benchtime 3x -count 5 ./drivers/exec/e2e | benchstat -
func BenchmarkExecRun(b *testing.B) {
	const nodes, shared = 100, 20
	c := bigCluster(nodes, shared)
	rb := procedure(c, time.Minute)
	var calls int
	var inDriver, wall time.Duration
	var d *execdriver.Driver
	var stateDir string
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		stateDir = initStandin(b, c, dir)
		var err error
		d, err = execdriver.New(execdriver.Config{
			Ops:              cluster.CommandsFunc(ops),
			Status:           cluster.Command{Argv: []string{standinBin, "status"}},
			Env:              []string{"STANDIN_DIR=" + stateDir},
			Log:              discardLog{},
			LogStatusChanges: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		st, err := runtime.OpenState(local.New(filepath.Join(dir, "state")), runtime.CurrentHolder("bench"), runtime.LockOptions{Durable: true})
		if err != nil {
			b.Fatal(err)
		}
		td := &timedDriver{Driver: d}
		b.StartTimer()
		start := time.Now()
		res := runtime.Run(context.Background(), rb, runtime.Options{
			Registry: builtin.Registry(), Driver: td, State: st, DriverName: "exec", Poll: time.Millisecond, AutoApprove: true,
		})
		wall += time.Since(start)
		b.StopTimer()
		st.Close()
		if res.Outcome != runtime.OutcomeCompleted {
			b.Fatalf("outcome %s: %s", res.Outcome, res.Message)
		}
		calls += td.calls
		inDriver += td.in
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(calls) }
	b.ReportMetric(float64(calls)/float64(b.N), "driver-calls/run")
	b.ReportMetric(per(inDriver)/1000, "command-ms/call")
	b.ReportMetric(per(wall-inDriver), "runtime-µs/call")

	// On the final 100-node cluster: a status read through the driver, and
	// the same command spawned directly, in turns so that both see the same
	// machine.
	const reads = 100
	ctx := context.Background()
	var viaDriver, direct time.Duration
	for range reads {
		start := time.Now()
		if _, err := d.Status(ctx); err != nil {
			b.Fatal(err)
		}
		viaDriver += time.Since(start)
		start = time.Now()
		cmd := exec.Command(standinBin, "status")
		cmd.Env = append(os.Environ(), "STANDIN_DIR="+stateDir)
		if _, err := cmd.Output(); err != nil {
			b.Fatal(err)
		}
		direct += time.Since(start)
	}
	viaDriver /= reads
	direct /= reads
	b.ReportMetric(float64(direct.Microseconds())/1000, "spawn-status-ms")
	b.ReportMetric(float64((viaDriver - direct).Microseconds()), "driver-µs/status")
}

// bigCluster has n nodes at 6.0 and one resource homed on each, failing over
// to the next node; the first shared of them are on shared storage.
func bigCluster(n, shared int) *cluster.Cluster {
	var nodes []cluster.Node
	var res []cluster.Resource
	for i := range n {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("N%03d", i+1), Version: "6.0"})
	}
	for i := range n {
		res = append(res, cluster.Resource{Name: fmt.Sprintf("R%03d", i+1), Shared: i < shared, Failback: "auto",
			Preferred: []string{nodes[i].Name, nodes[(i+1)%n].Name}})
	}
	return cluster.NewCluster("BIG", nodes, res,
		[]cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: n, MinNodes: 3}})
}

// initStandin starts the stand-in from c in dir and returns its state
// directory.
func initStandin(tb testing.TB, c *cluster.Cluster, dir string) string {
	tb.Helper()
	data, err := json.Marshal(standincheck.DescriptionOf(c))
	if err != nil {
		tb.Fatal(err)
	}
	desc := filepath.Join(dir, "cluster.json")
	if err := os.WriteFile(desc, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	state := filepath.Join(dir, "standin")
	if out, err := runCmd(standinBin, "-dir", state, "init", desc); err != nil {
		tb.Fatalf("standin init: %v\n%s", err, out)
	}
	return state
}

// timedDriver counts the driver's calls and the time spent in them.
type timedDriver struct {
	cluster.Driver
	calls int
	in    time.Duration
}

func (t *timedDriver) time(start time.Time) {
	t.calls++
	t.in += time.Since(start)
}

func (t *timedDriver) Status(ctx context.Context) (*cluster.Status, error) {
	defer t.time(time.Now())
	return t.Driver.Status(ctx)
}

func (t *timedDriver) InstallLicense(ctx context.Context, l cluster.License) error {
	defer t.time(time.Now())
	return t.Driver.InstallLicense(ctx, l)
}

func (t *timedDriver) Leave(ctx context.Context, n cluster.Node) error {
	defer t.time(time.Now())
	return t.Driver.Leave(ctx, n)
}

func (t *timedDriver) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	defer t.time(time.Now())
	return t.Driver.Upgrade(ctx, n, to)
}

func (t *timedDriver) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	defer t.time(time.Now())
	return t.Driver.Migrate(ctx, r, n)
}

func (t *timedDriver) Offline(ctx context.Context, r cluster.Resource) error {
	defer t.time(time.Now())
	return t.Driver.Offline(ctx, r)
}

func (t *timedDriver) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	defer t.time(time.Now())
	return t.Driver.Online(ctx, r, n)
}

func (t *timedDriver) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	defer t.time(time.Now())
	return t.Driver.MediaUpgrade(ctx, n)
}

func (t *timedDriver) MediaRefresh(ctx context.Context, n cluster.Node) error {
	defer t.time(time.Now())
	return t.Driver.MediaRefresh(ctx, n)
}

// discardLog is the exec log of the benchmark: written, then dropped.
type discardLog struct{}

func (discardLog) Write(p []byte) (int, error) { return len(p), nil }
