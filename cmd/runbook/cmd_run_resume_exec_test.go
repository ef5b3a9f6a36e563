package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// TestExecMediaUpgradeResume kills the runbook (SIGKILL) inside the media
// upgrade, at several points, while the stand-in's command that got there
// still runs (it took effect, then hangs), and resumes at once. The stand-in
// reports the shared resources taken offline as upgrade, or as offline on no
// node. Every resumed run completes with a clean audit (every node refreshed,
// every pool back on the node it ran on), no media operation issued twice,
// and the summary's downtime of a pool spans both runs: from its offline in
// the killed run to its online.
func TestExecMediaUpgradeResume(t *testing.T) {
	t.Parallel()
	for _, offlineAs := range []string{cluster.ResourceUpgrade, cluster.ResourceOffline} {
		for _, at := range []struct{ fault, op string }{
			{"offline:POOL2_SERVER", "offline POOL2_SERVER"},
			{"media-upgrade:FS1", "media-upgrade FS1"},
			{"media-refresh:FS2", "media-refresh FS2"},
			{"online:POOL1_SERVER", "online POOL1_SERVER FS1"},
		} {
			t.Run(offlineAs+"/"+at.op, func(t *testing.T) {
				e := newExecEnvWith(t, 100*time.Millisecond, func(d *standincheck.Description) { d.OfflineAs = offlineAs })
				p := e.start([]string{"STANDIN_FAULTS=hang-after:" + at.fault, "STANDIN_HANG=2s"}, e.runArgs()...)
				e.waitOp(at.op)
				if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				p.wait(t)
				e.audit(true)

				code, out := e.run(nil, "--json")
				if code != exitOK {
					t.Fatalf("resumed run: exit %d; want %d\n%s", code, exitOK, out)
				}
				e.audit(false)
				if strings.Contains(out, `"unplanned":true`) {
					t.Errorf("the resumed run reports an unplanned outage:\n%s", out)
				}
				ops := map[string]int{}
				for _, op := range standincheck.Operations(e.log()) {
					ops[op]++
				}
				for _, op := range []string{"offline POOL1_SERVER", "offline POOL2_SERVER", "media-upgrade FS1", "media-refresh FS2", "media-refresh FS3",
					"online POOL1_SERVER FS1", "online POOL2_SERVER FS2"} {
					if ops[op] != 1 {
						t.Errorf("%s issued %d times; want once", op, ops[op])
					}
				}

				// The downtime of POOL2_SERVER, brought online by the
				// resumed run, covers the stand-in's offline to its online.
				var offAt, onAt time.Time
				for _, r := range e.log() {
					switch r.Op() {
					case "offline POOL2_SERVER":
						offAt = r.Time
					case "online POOL2_SERVER FS2":
						onAt = r.Time
					}
				}
				lines := strings.Split(strings.TrimSpace(out), "\n")
				var sum struct {
					Type     string             `json:"type"`
					Downtime map[string]float64 `json:"downtime_seconds"`
				}
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Type != "summary" {
					t.Fatalf("last line is not the summary (%v):\n%s", err, out)
				}
				if got, min := sum.Downtime["POOL2_SERVER"], onAt.Sub(offAt).Seconds(); got < min {
					t.Errorf("POOL2_SERVER: downtime %.3fs; it was offline from %s to %s, %.3fs", got, offAt.Format(time.StampMilli), onAt.Format(time.StampMilli), min)
				}
			})
		}
	}
}
