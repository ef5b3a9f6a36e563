package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/procgroup"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// TestSlotHolder reads the work kept in a slot against its cluster's
// journal: a command alive on this machine holds the slot; one on another
// machine holds it until its step's timeout (or, for a cluster this
// process does not know, the longest the work names) has passed since it
// started; an ended one, or work that is not a runner's, holds nothing.
func TestSlotHolder(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	sleep.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-sleep.Process.Pid, syscall.SIGKILL); sleep.Wait() })
	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	a := &app{stores: storebuiltin.Stores()}
	const addr = "rolling.upgrade[FS1].upgrade-node.upgrade"
	now := time.Now()
	for _, tc := range []struct {
		name    string
		pgid    int
		host    string
		started time.Time
		known   bool
		// want: "" free, else "here", or the timeout of a command elsewhere.
		want string
	}{
		{"alive here", sleep.Process.Pid, host, now, true, "here"},
		{"ended here", ended.Process.Pid, host, now, true, ""},
		{"elsewhere, within its step's timeout", 77, "other", now.Add(-10 * time.Second), true, "20s"},
		{"elsewhere, its step's timeout passed", 77, "other", now.Add(-21 * time.Second), true, ""},
		{"elsewhere, an unknown cluster: the longest timeout", 77, "other", now.Add(-10 * time.Minute), false, "30m0s"},
		{"elsewhere, an unknown cluster, the longest timeout passed", 77, "other", now.Add(-31 * time.Minute), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			store, err := a.openStore(filepath.Join(root, "east"))
			if err != nil {
				t.Fatal(err)
			}
			defer closeStore(store)
			st, err := runtime.OpenState(store, runtime.CurrentHolder("test"), runtime.LockOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = st.Append(
				runtime.Record{Type: runtime.RecordStep, Address: addr, Status: runtime.StatusStarted, Time: tc.started},
				runtime.Record{Type: runtime.RecordOp, Address: addr, Op: "upgrade FS1", Gated: true, Time: tc.started},
				runtime.Record{Type: runtime.RecordOpStarted, Address: addr, Op: "upgrade FS1", Pgid: tc.pgid, Host: tc.host, Boot: procgroup.BootID(), Time: tc.started})
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			work, _ := json.Marshal(slotWork{Cluster: "east", State: "east", Timeout: "30m0s", Holder: runtime.Holder{User: "op", Host: "jump", PID: 41}})
			known := func(state string) *slotCluster {
				if !tc.known || state != "east" {
					return nil
				}
				return &slotCluster{store: store, timeouts: map[string]time.Duration{addr: 20 * time.Second}}
			}
			h, err := a.slotHolder(root, known, 3, work)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			switch {
			case h != nil && h.Cmd.Elsewhere:
				got = h.Timeout.String()
				if !h.Until.Equal(tc.started.Add(h.Timeout)) {
					t.Errorf("until %s; want %s", h.Until, tc.started.Add(h.Timeout))
				}
			case h != nil:
				got = "here"
			}
			if got != tc.want {
				t.Errorf("held: %q; want %q (%v)", got, tc.want, h)
			}
			if h != nil && (h.Slot != 3 || h.Cmd.Pgid != tc.pgid || h.Work.Cluster != "east") {
				t.Errorf("hold %+v", h)
			}
		})
	}
	// Work that is not a runner's holds nothing.
	for _, w := range []string{"not json", `{"cluster":"x","state":"../x"}`, `{"cluster":"x"}`} {
		if h, err := a.slotHolder(t.TempDir(), func(string) *slotCluster { return nil }, 0, []byte(w)); h != nil || err != nil {
			t.Errorf("work %s: %v, %v; want free", w, h, err)
		}
	}
}
