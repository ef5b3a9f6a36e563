package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

// crashChildEnv makes the test binary a child that runs the seed runbook in
// the state directory it names, with the crash points armed from
// RUNBOOK_CRASHPOINT.
const crashChildEnv = "RUNBOOK_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

// crashBehindEnv makes the child hold its writes back
// (LockOptions.WriteBehind), with the simulator's cluster in the state's
// session, as `runbook run --driver sim` does.
const crashBehindEnv = "RUNBOOK_TEST_CRASH_BEHIND"

func crashChild(dir string) int {
	c := seed()
	behind := os.Getenv(crashBehindEnv) != ""
	st, err := runtime.OpenState(local.New(dir), runtime.CurrentHolder("crash child"), runtime.LockOptions{WriteBehind: behind})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var store sim.Store = teststore.Dir(dir)
	if behind {
		store = st.Session()
	}
	sm, err := sim.Open(store, c, sim.Options{Timings: sim.DefaultTimings()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fp := runtime.FailpointsFromEnv()
	res := runtime.Run(context.Background(), procedure(c), runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st,
		DriverName: "sim", Poll: 5 * time.Second, Crash: fp.Hit,
		Events: func(e runtime.Event) { fmt.Fprintf(os.Stderr, "%s %s %s\n", e.Type, e.Step, e.Message) }})
	if err := sm.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	st.Close()
	if fp != nil {
		fmt.Printf("%d\n", fp.Count)
	}
	return res.ExitCode()
}

// finalState is what must not depend on where a run was interrupted.
type finalState struct {
	Status   *cluster.Status
	Upgrades map[string]int
}

func readFinal(t *testing.T, dir string) finalState {
	t.Helper()
	sm, err := sim.Open(teststore.Dir(dir), seed(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	st, _ := sm.Status(context.Background())
	return finalState{Status: st.Clone(), Upgrades: sm.Upgrades()}
}

func runChild(t *testing.T, dir string, crashAt int, behind bool) (killed bool, out []byte) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, fmt.Sprintf("%s=%d", runtime.CrashEnv, crashAt))
	if behind {
		cmd.Env = append(cmd.Env, crashBehindEnv+"=1")
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, out
		}
		t.Fatalf("child (crash point %d) exited %d:\n%s", crashAt, ee.ExitCode(), out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return false, out
}

// TestCrashAnywhere kills a run at every crash point in turn (before each
// step, after each driver operation, after each journal write), resumes it,
// and checks that the cluster ends as an uninterrupted run leaves it, with
// every node upgraded exactly once: with each write made at once, and with
// writes held back (a kill loses the last of them, journal and simulator
// alike).
func TestCrashAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary once per crash point")
	}
	for _, behind := range []bool{false, true} {
		t.Run(fmt.Sprintf("write-behind=%v", behind), func(t *testing.T) {
			crashAnywhere(t, behind)
		})
	}
}

func crashAnywhere(t *testing.T, behind bool) {
	refDir := t.TempDir()
	if killed, out := runChild(t, refDir, 0, behind); killed {
		t.Fatalf("reference run killed:\n%s", out)
	}
	want := readFinal(t, refDir)
	if diff := cmp.Diff(map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}, want.Upgrades); diff != "" {
		t.Fatalf("reference upgrades (-want +got):\n%s", diff)
	}
	for n := 1; ; n++ {
		dir := t.TempDir()
		killed, out := runChild(t, dir, n, behind)
		if !killed {
			t.Logf("%d crash points", n-1)
			if n < 20 {
				t.Errorf("only %d crash points in the whole run", n-1)
			}
			break
		}
		if k, out2 := runChild(t, dir, 0, behind); k {
			t.Fatalf("resume after crash point %d was killed:\n%s", n, out2)
		}
		got := readFinal(t, dir)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(cluster.Status{})); diff != "" {
			t.Errorf("crash point %d: final state differs (-uninterrupted +resumed):\n%s\nfirst run:\n%s", n, diff, out)
		}
	}
}

// TestFailpointsFunc: no armed point gives a run no crash function (so it
// names no crash points); an armed one counts the points it is given.
func TestFailpointsFunc(t *testing.T) {
	var none *runtime.Failpoints
	if none.Func() != nil {
		t.Fatal("Func of no failpoints: want nil")
	}
	var hit string
	fp := &runtime.Failpoints{At: 2, Kill: func(point string) { hit = point }}
	f := fp.Func()
	f("one")
	f("two")
	f("three")
	if fp.Count != 3 || hit != "two" {
		t.Fatalf("Count %d, hit %q; want 3, \"two\"", fp.Count, hit)
	}
}
