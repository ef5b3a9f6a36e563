package runtime_test

import (
	"context"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

// measured is the simulator without its own downtime accounting, as a real
// driver is: the runtime measures the downtime from the status it reads.
type measured struct {
	cluster.Driver
	sim *sim.Sim
}

func (m measured) Concurrently(limit int, ops []func() error) []error {
	return m.sim.Concurrently(limit, ops)
}

// TestDowntimeAcrossRuns: a run killed inside the media upgrade (after the
// media upgrade, after a refresh, after an online) and resumed an hour later:
// the resumed run's summary counts each pool's downtime from its offline in
// the killed run to its online, in whichever run, as the simulator saw it.
func TestDowntimeAcrossRuns(t *testing.T) {
	for _, op := range []string{
		cluster.OpKey(cluster.OpMediaUpgrade, "FS1"),
		cluster.OpKey(cluster.OpMediaRefresh, "FS2"),
		cluster.OpKey(cluster.OpOnline, "POOL1", "FS1"),
	} {
		t.Run(op, func(t *testing.T) { downtimeAcrossRuns(t, op) })
	}
}

func downtimeAcrossRuns(t *testing.T, killAfter string) {
	c := seed()
	rb := procedure(c)
	dir := t.TempDir()
	ctx := context.Background()
	sm, err := sim.Open(teststore.Dir(dir), c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	run := func(crash func(string)) *runtime.Result {
		st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("test"), runtime.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var res *runtime.Result
		done := make(chan struct{})
		go func() {
			defer close(done)
			res = runtime.Run(ctx, rb, runtime.Options{Registry: builtin.Registry(), Driver: measured{sm, sm}, State: st,
				DriverName: "measured", Poll: 5 * time.Second, Crash: crash})
		}()
		<-done
		return res
	}
	killed := run(func(point string) {
		if point == "after driver operation "+killAfter {
			goruntime.Goexit() // the process dies: nothing more is journaled
		}
	})
	if killed != nil {
		t.Fatalf("the first run was not killed: %s", killed.Message)
	}
	if err := sm.Sleep(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	res := run(nil)
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("resumed run: %s: %s", res.Outcome, res.Message)
	}
	truth := sm.Downtime()
	tm := sim.DefaultTimings()
	for _, pool := range []string{"POOL1", "POOL2"} {
		// The simulator also counts the failover and failback of each
		// pool, which happen inside one operation, between two status reads.
		want := truth[pool] - 2*tm.Migrate
		if got := res.Downtime[pool]; got != want {
			t.Errorf("%s: downtime %s; want %s", pool, got, want)
		}
		if min := tm.MediaUpgrade + tm.MediaRefresh; res.Downtime[pool] < min {
			t.Errorf("%s: downtime %s; want at least the media upgrade and a refresh, %s", pool, res.Downtime[pool], min)
		}
	}
}
