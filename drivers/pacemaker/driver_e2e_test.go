package pacemaker_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/pacemaker"
	"github.com/runbookhq/runbook/internal/pacemaker/harness"
)

var capture = flag.Bool("capture", false, "write the CIB and crm_mon samples of the end-to-end test to testdata/")

// TestDriverEndToEnd drives a real three-node cluster through the driver:
// licence, leave, upgrade with automatic failback, manual failback, and the
// media upgrade's offline, upgrade, refresh and online.
func TestDriverEndToEnd(t *testing.T) {
	harness.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()
	if _, err := harness.CleanupLeftovers("runbook-pcmk-driver"); err != nil {
		t.Fatal(err)
	}
	c, err := harness.Start(ctx, harness.Options{Prefix: "runbook-pcmk-driver", Resources: harness.DefaultResources(), Logf: t.Logf, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	d, err := pacemaker.New(pacemaker.Config{
		Nodes:        c.Nodes(),
		Run:          c.Exec,
		MediaVersion: "1.0",
		Poll:         200 * time.Millisecond,
		// rD is not shared: the media refresh leaves it alone.
		Resources: []cluster.Resource{
			{Name: "rA", Shared: true, Preferred: []string{"n1", "n2", "n3"}, Failback: cluster.FailbackAuto},
			{Name: "rB", Shared: true, Preferred: []string{"n2", "n3", "n1"}, Failback: cluster.FailbackManual},
			{Name: "rC", Shared: true, Preferred: []string{"n3", "n1", "n2"}, Failback: cluster.FailbackAuto},
			{Name: "rD", Preferred: []string{"n1", "n3", "n2"}, Failback: cluster.FailbackManual},
		},
		Upgrade: func(ctx context.Context, node, to string) error {
			if err := c.StopNode(ctx, node); err != nil {
				return err
			}
			if err := c.SetVersion(node, to); err != nil {
				return err
			}
			return c.StartNode(ctx, node)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func(*cluster.Status) bool) *cluster.Status {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		t0 := time.Now()
		var last *cluster.Status
		for {
			st, err := d.Status(wctx)
			if err == nil {
				last = st
				if cond(st) {
					t.Logf("TIMING %s: %v", what, time.Since(t0).Round(time.Millisecond))
					return st
				}
			}
			if d.Sleep(wctx, 200*time.Millisecond) != nil {
				t.Fatalf("waiting for %s: last status %+v (err %v)", what, last, err)
			}
		}
	}
	on := func(st *cluster.Status, want map[string]string) bool {
		for r, n := range want {
			if rs := st.Resources[r]; rs.State != cluster.ResourceRunning || rs.Node != n {
				return false
			}
		}
		return true
	}
	node := func(name string) cluster.Node { return cluster.Node{Name: name} }
	res := func(name string) cluster.Resource { return cluster.Resource{Name: name} }

	st, err := d.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if ns := st.Nodes[n]; ns.State != cluster.NodeUp || ns.Version != "1.0" {
			t.Errorf("node %s = %+v, want up at 1.0", n, ns)
		}
	}
	if !on(st, map[string]string{"rA": "n1", "rB": "n2", "rC": "n3", "rD": "n1"}) {
		t.Errorf("resources not at home: %+v", st.Resources)
	}
	if st.MediaVersion != "1.0" || len(st.Licenses) != 0 {
		t.Errorf("media %q licences %v, want 1.0 and none", st.MediaVersion, st.Licenses)
	}
	save := func(name string) {
		if !*capture {
			return
		}
		for file, argv := range map[string][]string{
			"crm_mon-" + name + ".xml": {"crm_mon", "--output-as=xml", "--inactive"},
			"cib-" + name + ".xml":     {"cibadmin", "--query"},
		} {
			out, err := c.Exec(ctx, "n2", argv...)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", file), out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	lic := cluster.License{Name: "ncs", Product: "NetWare 6.5 Cluster Server", Version: "2.0"}
	for i := 0; i < 2; i++ {
		if err := d.InstallLicense(ctx, lic); err != nil {
			t.Fatal(err)
		}
	}
	st = waitFor("licence", func(st *cluster.Status) bool { return st.HasLicense(lic.Product, "2.0") })
	if len(st.Licenses) != 1 {
		t.Errorf("licences = %v, want one", st.Licenses)
	}

	// An operator's ban of rA from n2, its failover node: the leave of n1
	// is refused, naming the ban, and nothing changes.
	if _, err := c.Exec(ctx, "n1", "crm_resource", "--ban", "--resource", "rA", "--node", "n2"); err != nil {
		t.Fatal(err)
	}
	err = d.Leave(ctx, node("n1"))
	var refused *pacemaker.PlacementError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "cli-ban-rA-on-n2 -INFINITY") {
		t.Fatalf("leave n1 with rA banned from n2: %v, want refused naming cli-ban-rA-on-n2", err)
	}
	if st, err := d.Status(ctx); err != nil || !st.Up("n1") || !on(st, map[string]string{"rA": "n1"}) {
		t.Fatalf("after the refusal: %+v %v, want n1 up with rA", st, err)
	}
	if _, err := c.Exec(ctx, "n1", "crm_resource", "--clear", "--resource", "rA"); err != nil {
		t.Fatal(err)
	}

	// Leave: n1 goes to standby, reported down; rA to n2, rD to n3.
	if err := d.Leave(ctx, node("n1")); err != nil {
		t.Fatal(err)
	}
	waitFor("leave n1 failover", func(st *cluster.Status) bool {
		return !st.Up("n1") && on(st, map[string]string{"rA": "n2", "rD": "n3"})
	})
	save("n1-left")

	// Upgrade: n1 rejoins at 2.0; rA fails back by itself, rD stays.
	t0 := time.Now()
	if err := d.Upgrade(ctx, node("n1"), "2.0"); err != nil {
		t.Fatal(err)
	}
	t.Logf("TIMING Upgrade(n1) returned: %v", time.Since(t0).Round(time.Millisecond))
	st = waitFor("n1 up at 2.0 and rA back", func(st *cluster.Status) bool {
		return st.Up("n1") && st.Nodes["n1"].Version == "2.0" && on(st, map[string]string{"rA": "n1"})
	})
	if !on(st, map[string]string{"rD": "n3"}) {
		t.Errorf("rD (manual failback) moved by itself: %+v", st.Resources["rD"])
	}
	save("mixed-versions")

	// Manual failback through Migrate, which leaves no constraint behind.
	if err := d.Migrate(ctx, res("rD"), node("n1")); err != nil {
		t.Fatal(err)
	}
	waitFor("rD migrated to n1", func(st *cluster.Status) bool { return on(st, map[string]string{"rD": "n1"}) })
	if out, err := c.Exec(ctx, "n2", "cibadmin", "--query", "--scope", "constraints"); err != nil || strings.Contains(string(out), "cli-") || strings.Contains(string(out), pacemaker.ConstraintPrefix) {
		t.Errorf("constraints left by Migrate: %s %v", out, err)
	}

	// Media upgrade: offline, upgrade, refresh, online on the earlier node.
	if err := d.Offline(ctx, res("rA")); err != nil {
		t.Fatal(err)
	}
	st = waitFor("rA offline", func(st *cluster.Status) bool { return st.Resources["rA"].State == cluster.ResourceUpgrade })
	if st.Resources["rA"].Node != "n1" {
		t.Errorf("rA taken offline for the media upgrade ran on %q, want n1", st.Resources["rA"].Node)
	}
	save("ra-offline")
	if err := d.MediaUpgrade(ctx, node("n1")); err != nil {
		t.Fatal(err)
	}
	if err := d.MediaRefresh(ctx, node("n2")); err != nil {
		t.Fatal(err)
	}
	waitFor("media at 2.0", func(st *cluster.Status) bool { return st.MediaVersion == "2.0" })
	if err := d.Online(ctx, res("rA"), node("n1")); err != nil {
		t.Fatal(err)
	}
	waitFor("rA online on n1", func(st *cluster.Status) bool { return on(st, map[string]string{"rA": "n1"}) })

	// What a run killed in the middle of a move leaves: its prefer and ban.
	// The next run removes them, and not an operator's own ban.
	for _, x := range []string{
		`<rsc_location id="runbook-prefer-rB" rsc="rB" node="n2" score="INFINITY"/>`,
		`<rsc_location id="runbook-ban-rB" rsc="rB" node="n3" score="-INFINITY"/>`,
		`<rsc_location id="cli-ban-rC-on-n2" rsc="rC" node="n2" score="-INFINITY"/>`,
	} {
		if _, err := c.Exec(ctx, "n1", "cibadmin", "--create", "--scope", "constraints", "--xml-text", x); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := d.ClearLeftovers(ctx)
	if err != nil || strings.Join(removed, " ") != "runbook-prefer-rB runbook-ban-rB" {
		t.Errorf("ClearLeftovers removed %v (%v), want runbook-prefer-rB runbook-ban-rB", removed, err)
	}
	out, err := c.Exec(ctx, "n1", "cibadmin", "--query", "--scope", "constraints")
	if err != nil || strings.Contains(string(out), pacemaker.ConstraintPrefix) || !strings.Contains(string(out), "cli-ban-rC-on-n2") {
		t.Errorf("constraints after ClearLeftovers: %s %v", out, err)
	}
	if _, err := c.Exec(ctx, "n1", "cibadmin", "--delete", "--scope", "constraints", "--xml-text", `<rsc_location id="cli-ban-rC-on-n2"/>`); err != nil {
		t.Error(err)
	}
}
