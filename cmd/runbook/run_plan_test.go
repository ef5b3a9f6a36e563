package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/runbookhq/runbook/drivers"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
	"github.com/runbookhq/runbook/testdata/gen"
)

// TestRunIsItsOwnPlan: a fresh rehearsal with --auto-approve takes its plan
// from itself (planLater, startsAsModel), approve steps and all; the report it
// writes at its end is, byte for byte, the one `runbook report` writes from
// the same journal with the plan simulated, for each example runbook and a
// generated one.
func TestRunIsItsOwnPlan(t *testing.T) {
	paths, err := filepath.Glob("../../runbooks/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example runbooks: %v", err)
	}
	generated := filepath.Join(t.TempDir(), "gen.hcl")
	if err := os.WriteFile(generated, gen.Runbook(40), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range append(paths, generated) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, "state")
			args := &runArgs{AutoApprove: true}
			a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
			rb := a.loadRunbook(path, varArgs{}, true)
			if rb == nil {
				t.Fatal("invalid runbook")
			}
			// ncs-oes has exec steps, whose commands the plan does not run:
			// its plan is simulated, and the reports are the same too.
			if later := a.planLater(args, runtimeRunbook(rb), driverbuiltin.Registry().Simulator(), nil); later != (filepath.Base(path) != "ncs-oes.hcl") {
				t.Fatalf("planLater is %v", later)
			}
			if code, out := runCLI("run", "--driver", "sim", "--auto-approve", "--state", state, path); code != exitOK {
				t.Fatalf("run: exit %d\n%s", code, out)
			}
			sameReportAsCommand(t, state, path)
		})
	}
}

// sameReportAsCommand fails t unless the report the run left in state is
// byte for byte the one `runbook report --driver sim` makes of that state.
func sameReportAsCommand(t *testing.T, state, path string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	if code, msg := runCLI("report", "--driver", "sim", "--state", state, "-o", out, path); code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, msg)
	}
	fromRun, err := os.ReadFile(filepath.Join(state, runtime.ReportBlob))
	if err != nil {
		t.Fatal(err)
	}
	made, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromRun, made) {
		t.Errorf("the run's report (%d bytes) differs from runbook report's (%d bytes)", len(fromRun), len(made))
	}
}

// TestPlanLaterNot: the runs whose plan is simulated before they start.
func TestPlanLaterNot(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	rb := a.loadRunbook("../../runbooks/two-node.hcl", varArgs{}, true)
	if rb == nil {
		t.Fatal("invalid runbook")
	}
	rrb := runtimeRunbook(rb)
	kinds := driverbuiltin.Registry()
	simulator := kinds.Simulator()
	other, ok := kinds.Kind("exec")
	if !ok {
		t.Fatal("no exec driver")
	}
	for name, c := range map[string]struct {
		args   runArgs
		color  bool
		kind   drivers.Kind
		resume *resumePoint
	}{
		"confirmed at a prompt": {args: runArgs{}, kind: simulator},
		"live view":             {args: runArgs{AutoApprove: true}, color: true, kind: simulator},
		"another driver":        {args: runArgs{AutoApprove: true}, kind: other},
		"faults":                {args: runArgs{AutoApprove: true, Faults: []drivers.Fault{{}}}, kind: simulator},
		"resumed":               {args: runArgs{AutoApprove: true}, kind: simulator, resume: &resumePoint{}},
		"stop after":            {args: runArgs{AutoApprove: true, StopAfter: rrb.Steps[0].Address}, kind: simulator},
		"window":                {args: runArgs{AutoApprove: true, Window: 1}, kind: simulator},
	} {
		a.color = c.color
		if a.planLater(&c.args, rrb, c.kind, c.resume) {
			t.Errorf("%s: planLater is true", name)
		}
	}
}

// TestPlanOfStopped: a run that may be its own plan and stops before its
// end is planned when it ends, and its LeftPredicted is the one the runtime
// computes from Options.Predicted.
func TestPlanOfStopped(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	rb := a.loadRunbook("../../runbooks/netware65-rolling-upgrade.hcl", varArgs{}, true)
	if rb == nil {
		t.Fatal("invalid runbook")
	}
	rrb := runtimeRunbook(rb)
	planned := a.predictEvents(rb, rrb)
	for _, stopAfter := range []string{rrb.Steps[0].Address, rrb.Steps[len(rrb.Steps)/2].Address} {
		var results []*runtime.Result
		for _, predicted := range []bool{true, false} {
			kind := a.drivers.Simulator()
			opened, err := a.openRun(local.New(t.TempDir()), kind, "runbook run", rb, nil, nil, nil, runtime.LockOptions{}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, drv := opened.State, opened.Driver
			if !startsAsModel(drv, rb) {
				t.Fatal("startsAsModel: a new simulator does not start as the model")
			}
			opts := runtime.Options{Registry: a.registry, Driver: drv, State: st, DriverName: "sim", Poll: opened.Poll,
				AutoApprove: true, StopAfter: stopAfter, Output: io.Discard}
			changes := &changeRecorder{}
			if predicted {
				opts.Predicted = planned.predicted()
			} else {
				opts.Events = changes.record
			}
			res := runtime.Run(context.Background(), rrb, opts)
			if !predicted {
				p := a.planOf(rb, rrb, res, changes, st.Settled)
				if p.res == res {
					t.Errorf("stopped after %s: the stopped run is taken as its plan", stopAfter)
				}
			}
			opened.CloseDriver()
			st.Close()
			results = append(results, res)
		}
		if results[0].Outcome != runtime.OutcomeStopped || results[0].LeftPredicted == 0 {
			t.Fatalf("stopped after %s: outcome %s, %s left by the plan; want stopped, some left", stopAfter, results[0].Outcome, results[0].LeftPredicted)
		}
		if got, want := results[1].LeftPredicted, results[0].LeftPredicted; got != want {
			t.Errorf("stopped after %s: %s left by the plan taken at the end; the runtime says %s", stopAfter, got, want)
		}
	}
}

// TestChangeRecorder: the change events recorded come back in order, over
// several chunks, some of them made ready ahead, and no other event.
func TestChangeRecorder(t *testing.T) {
	var c changeRecorder
	var want []runtime.Event
	for i := range 2*changeChunk + 3 {
		e := runtime.Event{Type: runtime.EventChange, Message: fmt.Sprint(i)}
		if i%3 == 0 {
			c.record(runtime.Event{Type: runtime.EventStep, Message: "not a change"})
		}
		c.record(e)
		want = append(want, e)
		if i%1000 == 999 {
			c.ready() // the next chunk, made ready on another goroutine
		}
		if i == 10 {
			if got := c.events(); !reflect.DeepEqual(got, want) {
				t.Fatalf("after %d: %v", i+1, got)
			}
		}
	}
	if got := c.events(); !reflect.DeepEqual(got, want) {
		t.Errorf("%d events back of %d, or not in order", len(got), len(want))
	}
}

// TestOpenedAsModel: openedAsModel, which takes a simulator opened without
// stored state at its word, says what startsAsModel says from the model,
// for a simulator opened afresh and for one that kept an earlier run's
// cluster.
func TestOpenedAsModel(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	for _, path := range []string{"../../runbooks/netware65-rolling-upgrade.hcl", "../../runbooks/two-node.hcl", "../../runbooks/ncs-oes.hcl"} {
		rb := a.loadRunbook(path, varArgs{}, true)
		if rb == nil {
			t.Fatalf("%s: invalid runbook", path)
		}
		rrb := runtimeRunbook(rb)
		store := local.New(t.TempDir())
		for i, fresh := range []bool{true, false} {
			opened, err := a.openRun(store, a.drivers.Simulator(), "runbook run", rb, nil, nil, nil, runtime.LockOptions{}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			drv := opened.Driver
			declared := drv.(interface{ OpenedAsDeclared() bool }).OpenedAsDeclared()
			if declared != fresh {
				t.Errorf("%s, open %d: OpenedAsDeclared = %v; want %v", path, i+1, declared, fresh)
			}
			slow := startsAsModel(drv, rb)
			if got := openedAsModel(drv, rb, modelAhead(rb)); got != slow {
				t.Errorf("%s, open %d: openedAsModel = %v; startsAsModel says %v", path, i+1, got, slow)
			}
			if got := openedAsModel(drv, rb, nil); got != slow {
				t.Errorf("%s, open %d: openedAsModel without a model made ahead = %v; startsAsModel says %v", path, i+1, got, slow)
			}
			if slow != fresh {
				t.Errorf("%s, open %d: startsAsModel = %v; want %v", path, i+1, slow, fresh)
			}
			if fresh {
				res := runtime.Run(context.Background(), rrb, runtime.Options{Registry: a.registry, Driver: drv, State: opened.State,
					DriverName: "sim", Poll: opened.Poll, AutoApprove: true, Output: io.Discard})
				if res.ExitCode() != 0 {
					t.Fatalf("%s: run ended %s", path, res.Outcome)
				}
			}
			if err := opened.CloseDriver(); err != nil {
				t.Fatal(err)
			}
			opened.State.Close()
		}
	}
}

// TestOpeningSteps: the steps a driver's opening gives when asked are the
// runbook's, in run order, with their when.
func TestOpeningSteps(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	rb := a.loadRunbook("../../runbooks/netware65-rolling-upgrade.hcl", varArgs{}, true)
	if rb == nil {
		t.Fatal("invalid runbook")
	}
	o, err := a.opening(a.drivers.Simulator(), rb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := o.Steps()
	if len(got) != len(rb.Steps) || len(got) == 0 {
		t.Fatalf("%d steps; the runbook has %d", len(got), len(rb.Steps))
	}
	for i, s := range rb.Steps {
		if want := (drivers.Step{Instance: s.Instance, When: s.When}); !reflect.DeepEqual(got[i], want) {
			t.Errorf("step %d = %+v; want %+v", i, got[i], want)
		}
	}
}
