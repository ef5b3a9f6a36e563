package runtime_test

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/procgroup"
)

// TestLiveCommands lists the commands of a journal that may still run: a
// live process group of this boot (a real one, started here), and one on
// another machine; not one that ended, one of another boot, one whose
// operation ended, nor one of a step settled since.
func TestLiveCommands(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	live := cmd.Process.Pid
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	boot := procgroup.BootID()
	t0 := time.Date(2026, 1, 1, 22, 0, 0, 0, time.UTC)
	run := func(addr, op string, pgid int, host, boot string, after ...runtime.Record) []runtime.Record {
		recs := []runtime.Record{
			{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted, Time: t0},
			{Type: runtime.RecordOp, Address: addr, Op: op, Gated: true, Time: t0},
			{Type: runtime.RecordOpStarted, Address: addr, Op: op, Pgid: pgid, Host: host, Boot: boot, Time: t0.Add(time.Second)},
		}
		return append(recs, after...)
	}
	a := "rolling.upgrade[FS1].upgrade-node.upgrade"
	for _, tc := range []struct {
		name string
		recs []runtime.Record
		want string
	}{
		{"alive here", run(a, "upgrade FS1", live, host, boot), fmt.Sprintf("[%s upgrade FS1 %d false 22:00:01]", a, live)},
		{"on another machine", run(a, "upgrade FS1", 77, "elsewhere", "b"), fmt.Sprintf("[%s upgrade FS1 77 true 22:00:01]", a)},
		{"ended", run(a, "upgrade FS1", gone.Process.Pid, host, boot), "[]"},
		{"another boot", run(a, "upgrade FS1", live, host, "another boot"), "[]"},
		{"its operation ended", run(a, "upgrade FS1", live, host, boot, runtime.Record{Type: runtime.RecordOpEnd, Address: a, Op: "upgrade FS1", Outcome: runtime.OpOK}), "[]"},
		{"recorded in doubt", run(a, "upgrade FS1", live, host, boot, runtime.Record{Type: runtime.RecordOpEnd, Address: a, Op: "upgrade FS1", Outcome: runtime.OpInDoubt}), "[]"},
		{"its step done since", run(a, "upgrade FS1", live, host, boot, runtime.Record{Type: runtime.RecordStep, Address: a, Status: runtime.StatusDone}), "[]"},
		{"in doubt, not settled", run(a, "upgrade FS1", live, host, boot, runtime.Record{Type: runtime.RecordStep, Address: a, Status: runtime.StatusInDoubt}), fmt.Sprintf("[%s upgrade FS1 %d false 22:00:01]", a, live)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range runtime.LiveCommands(tc.recs) {
				got = append(got, fmt.Sprint(c.Address, " ", c.Op, " ", c.Pgid, " ", c.Elsewhere, " ", c.Started.Format("15:04:05")))
			}
			if s := fmt.Sprint(got); s != tc.want && !(s == "[]" && tc.want == "[]") {
				t.Errorf("LiveCommands: %s; want %s", s, tc.want)
			}
		})
	}
}
