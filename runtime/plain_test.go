package runtime_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/runtime"
)

// plainDriver is the simulator without what lets the runtime take its
// shortcuts: it does not say what changed (cluster.ChangeTracker), so each
// status read is compared whole, nor that it starts no commands
// (cluster.NoCommands). It still reports the simulator's downtime and runs
// groups of operations as the simulator does.
type plainDriver struct {
	cluster.Driver
	s *sim.Sim
}

func (p plainDriver) Downtime() map[string]time.Duration { return p.s.Downtime() }
func (p plainDriver) Concurrently(limit int, ops []func() error) []error {
	return p.s.Concurrently(limit, ops)
}

// TestShortcutsAsPlain: a run on the simulator, with the shortcuts it
// allows, tells the same events, journals the same records and ends with
// the same result as the same run on the simulator without them, with and
// without faults, and resumed.
func TestShortcutsAsPlain(t *testing.T) {
	c := large(12)
	rb := procedure(c)
	for _, faults := range [][]sim.Fault{
		nil,
		{{Kind: sim.FaultFailbackStalls, Target: "R00004"}},
		{{Kind: sim.FaultMigrateFails, Target: "R00006"}, {Kind: sim.FaultFailbackStalls, Target: "R00006"}},
		{{Kind: sim.FaultMediaUpgradeFails, Target: "N00003"}},
		{{Kind: sim.FaultRebootFails, Target: "N00005"}},
		{{Kind: sim.FaultUpgradeInDoubt, Target: "N00002"}},
	} {
		// Each run is resumed once, with the faults gone: the resumed
		// steps are observed wide.
		run := func(plain bool) (res [2]*runtime.Result, events [2][]runtime.Event, journal string) {
			s := &session{dir: t.TempDir(), faults: faults}
			if plain {
				s.opts = func(o *runtime.Options) { o.Driver = plainDriver{o.Driver, o.Driver.(*sim.Sim)} }
			}
			for i := range res {
				res[i], _ = s.run(t, rb)
				events[i] = s.events
				s.faults = nil
			}
			data, err := os.ReadFile(filepath.Join(s.dir, "journal.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			return res, events, string(data)
		}
		wantRes, wantEvents, wantJournal := run(true)
		res, events, journal := run(false)
		if diff := cmp.Diff(wantRes, res); diff != "" {
			t.Errorf("faults %v: the results differ from the plain driver's (-plain +shortcuts):\n%s", faults, diff)
		}
		if diff := cmp.Diff(wantEvents, events); diff != "" {
			t.Errorf("faults %v: the events differ from the plain driver's (-plain +shortcuts):\n%s", faults, diff)
		}
		if diff := cmp.Diff(wantJournal, journal); diff != "" {
			t.Errorf("faults %v: the journal differs from the plain driver's (-plain +shortcuts):\n%s", faults, diff)
		}
		if res[1].Outcome != runtime.OutcomeCompleted {
			t.Errorf("faults %v: the resumed run ends %s (%s); want it completed", faults, res[1].Outcome, res[1].Message)
		}
	}
}
