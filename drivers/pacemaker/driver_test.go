package pacemaker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/runbookhq/runbook/cluster"
)

// The testdata files were recorded from the harness's real cluster
// (internal/pacemaker/harness, -capture): nodes n1-n3, resources rA-rD.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func where(m *monitor) map[string]string {
	out := map[string]string{}
	for _, r := range m.Resources {
		out[r.ID] = strings.Join(r.Nodes, "+")
	}
	return out
}

func TestParseMonitor(t *testing.T) {
	for _, tc := range []struct {
		file    string
		offline []string
		standby []string
		where   map[string]string
	}{
		{"crm_mon-healthy.xml", nil, nil, map[string]string{"rA": "n1", "rB": "n2", "rC": "n3", "rD": "n1"}},
		{"crm_mon-standby-n1.xml", nil, []string{"n1"}, map[string]string{"rA": "n2", "rB": "n2", "rC": "n3", "rD": "n3"}},
		{"crm_mon-after-failback.xml", nil, nil, map[string]string{"rA": "n1", "rB": "n2", "rC": "n3", "rD": "n3"}},
		{"crm_mon-n2-stopped.xml", []string{"n2"}, nil, map[string]string{"rA": "n1", "rB": "n3", "rC": "n3", "rD": "n1"}},
		{"crm_mon-n3-killed.xml", []string{"n3"}, nil, map[string]string{"rA": "n1", "rB": "n2", "rC": "n1", "rD": "n1"}},
		{"crm_mon-ra-offline.xml", nil, nil, map[string]string{"rA": "", "rB": "n2", "rC": "n3", "rD": "n1"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := parseMonitor(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if m.DC == "" || !m.Quorum {
				t.Errorf("DC %q quorum %v, want a DC with quorum", m.DC, m.Quorum)
			}
			var offline, standby []string
			for _, n := range m.Nodes {
				if !n.Online {
					offline = append(offline, n.Name)
				}
				if n.Standby {
					standby = append(standby, n.Name)
				}
			}
			if diff := cmp.Diff(tc.offline, offline); diff != "" {
				t.Errorf("offline nodes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.standby, standby); diff != "" {
				t.Errorf("standby nodes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.where, where(m)); diff != "" {
				t.Errorf("where (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMonitorError(t *testing.T) {
	_, err := parseMonitor([]byte(`<pacemaker-result api-version="2.25" request="crm_mon"><status code="102" message="Not connected"/></pacemaker-result>`))
	if err == nil || !strings.Contains(err.Error(), "Not connected") {
		t.Fatalf("err = %v, want Not connected", err)
	}
	if _, err := parseMonitor([]byte("crm_mon: Error: cluster is not available on this node")); err == nil {
		t.Fatal("no error for text output")
	}
}

func TestParseCIB(t *testing.T) {
	c, err := parseCIB(readTestdata(t, "cib-mixed-versions.xml"))
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Licenses    [][2]string
		Schema      string
		Standby     map[string]bool
		Stickiness  map[string]string
		Constraints []string
		Symmetric   bool
	}
	want := view{Licenses: [][2]string{{"NetWare 6.5 Cluster Server", "2.0"}}, Schema: "pacemaker-3.9",
		Standby:     map[string]bool{},
		Stickiness:  map[string]string{"rA": "0", "rB": "INFINITY", "rC": "0", "rD": "INFINITY"},
		Constraints: []string{"loc-rA-n1", "loc-rA-n2", "loc-rA-n3", "loc-rB-n2", "loc-rB-n3", "loc-rB-n1", "loc-rC-n3", "loc-rC-n1", "loc-rC-n2", "loc-rD-n1", "loc-rD-n3", "loc-rD-n2"},
		Symmetric:   true,
	}
	got := view{c.Licenses, c.Schema, c.Standby, c.Stickiness, c.Constraints, c.Symmetric}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := c.Ops["rA"]["n1"]; len(got) == 0 {
		t.Errorf("no operation history of rA on n1")
	}
}

// fakeRunner answers crm_mon and cibadmin --query from testdata files and
// the version command from a map, and records every other command.
type fakeRunner struct {
	mu               sync.Mutex
	monFile, cibFile string
	versions         map[string]string
	down             map[string]bool // nodes that do not answer
	// members is corosync's membership; nil for all three nodes.
	members []string
	// hang makes the commands starting with it wait for their context.
	hang  string
	calls []string
}

func (f *fakeRunner) run(ctx context.Context, node string, argv ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down[node] {
		return nil, errors.New("ssh: connect to host " + node + ": No route to host")
	}
	switch {
	case argv[0] == "crm_mon" && f.monFile == "":
		return []byte(noDC), nil
	case argv[0] == "crm_mon":
		return os.ReadFile(filepath.Join("testdata", f.monFile))
	case argv[0] == "cibadmin" && argv[1] == "--query":
		return os.ReadFile(filepath.Join("testdata", f.cibFile))
	case argv[0] == "cat":
		return []byte(f.versions[node] + "\n"), nil
	case argv[0] == "corosync-quorumtool":
		members := f.members
		if members == nil {
			members = []string{"n1", "n2", "n3"}
		}
		out := "\nMembership information\n----------------------\n    Nodeid      Votes    Qdevice Name\n"
		for i, m := range members {
			local := ""
			if m == node {
				local = " (local)"
			}
			out += fmt.Sprintf("%10d %10d %10s %s%s\n", i+1, 1, "NR", m, local)
		}
		return []byte(out), nil
	}
	f.calls = append(f.calls, node+": "+strings.Join(argv, " "))
	if f.hang != "" && strings.HasPrefix(strings.Join(argv, " "), f.hang) {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return nil, fmt.Errorf("%s: signal: killed", argv[0])
	}
	return nil, nil
}

func newFake(t *testing.T, f *fakeRunner) *Driver {
	t.Helper()
	d, err := New(Config{Nodes: []string{"n1", "n2", "n3"}, Run: f.run, MediaVersion: "1.0", Resources: testResources,
		Upgrade: func(ctx context.Context, node, to string) error {
			f.calls = append(f.calls, "upgrade "+node+" "+to)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testResources are the harness's resources as a runbook declares them;
// rD is not on shared storage.
var testResources = []cluster.Resource{
	{Name: "rA", Shared: true, Preferred: []string{"n1", "n2", "n3"}, Failback: cluster.FailbackAuto},
	{Name: "rB", Shared: true, Preferred: []string{"n2", "n3", "n1"}, Failback: cluster.FailbackManual},
	{Name: "rC", Shared: true, Preferred: []string{"n3", "n1", "n2"}, Failback: cluster.FailbackAuto},
	{Name: "rD", Preferred: []string{"n1", "n3", "n2"}, Failback: cluster.FailbackManual},
}

func TestStatus(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-n1-left.xml", cibFile: "cib-n1-left.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantNodes := map[string]cluster.NodeStatus{
		"n1": {Version: "1.0", State: cluster.NodeDown}, // in standby: it has left
		"n2": {Version: "1.0", State: cluster.NodeUp},
		"n3": {Version: "1.0", State: cluster.NodeUp},
	}
	if diff := cmp.Diff(wantNodes, st.Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	wantRes := map[string]cluster.ResourceStatus{
		"rA": {State: cluster.ResourceRunning, Node: "n2"},
		"rB": {State: cluster.ResourceRunning, Node: "n2"},
		"rC": {State: cluster.ResourceRunning, Node: "n3"},
		"rD": {State: cluster.ResourceRunning, Node: "n3"},
	}
	if diff := cmp.Diff(wantRes, st.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if !st.HasLicense("NetWare 6.5 Cluster Server", "2.0") || st.MediaVersion != "1.0" {
		t.Errorf("licences %v media %q", st.Licenses, st.MediaVersion)
	}
}

func TestStatusOfflineResourceAndUnreachableNode(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-ra-offline.xml",
		versions: map[string]string{"n1": "2.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	// rA stops; n3's version can no longer be read: the last one is kept.
	f.monFile = "crm_mon-ra-offline.xml"
	f.down = map[string]bool{"n3": true}
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Resources["rA"]; got != (cluster.ResourceStatus{State: cluster.ResourceOffline, Node: "n1"}) {
		t.Errorf("rA = %+v, want offline at n1", got)
	}
	if got := st.Nodes["n3"].Version; got != "1.0" {
		t.Errorf("n3 version = %q, want the last one read, 1.0", got)
	}
}

func TestOperations(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-marks.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	ctx := context.Background()
	n1 := cluster.Node{Name: "n1"}
	for _, op := range []func() error{
		func() error { return d.Leave(ctx, n1) },
		func() error { return d.Upgrade(ctx, n1, "2.0") },
		func() error { return d.Offline(ctx, cluster.Resource{Name: "rA"}) },
		func() error { return d.MediaRefresh(ctx, cluster.Node{Name: "n2"}) },
		func() error {
			return d.InstallLicense(ctx, cluster.License{Product: "NetWare 6.5 Cluster Server", Version: "2.0"})
		},
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"n1: crm_attribute --type nodes --node n1 --name runbook-left --update 1.0",
		"n1: crm_attribute --type nodes --node n1 --name standby --update on",
		"upgrade n1 2.0",
		"n1: crm_attribute --type nodes --node n1 --name standby --delete",
		"n1: crm_attribute --type nodes --node n1 --name runbook-left --delete",
		// The mark and the stop in one change, reusing the ids of the CIB.
		`n1: cibadmin --modify --scope resources --xml-text <primitive id="rA"><meta_attributes id="rA-meta_attributes"><nvpair id="rA-meta_attributes-runbook-offline" name="runbook-offline" value="n1"></nvpair><nvpair id="rA-meta_attributes-target-role" name="target-role" value="Stopped"></nvpair></meta_attributes></primitive>`,
		// Marked first, for a killed run's successor to finish.
		"n1: crm_attribute --type nodes --node n2 --name runbook-media-refreshing --update 2.0",
		// Only the shared resources, rD is not.
		"n2: crm_resource --refresh --resource rA --node n2",
		"n2: crm_resource --refresh --resource rB --node n2",
		"n2: crm_resource --refresh --resource rC --node n2",
		"n1: crm_attribute --type nodes --node n2 --name runbook-media --update 2.0",
		"n1: crm_attribute --type nodes --node n2 --name runbook-media-refreshing --delete",
		"n1: crm_attribute --type crm_config --name runbook-license-7de7d625c73c --update 2.0 NetWare 6.5 Cluster Server",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestMigrateBansTheCurrentNode(t *testing.T) {
	// crm_mon-after-failback: rD (INFINITY) runs on n3, its home is n1.
	f := &fakeRunner{monFile: "crm_mon-after-failback.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	d.cfg.Poll = 1
	done := make(chan error)
	go func() { done <- d.Migrate(ctx, cluster.Resource{Name: "rD"}, cluster.Node{Name: "n1"}) }()
	// The fake cluster never moves rD; the caller gives up. The
	// constraints are removed: the move is not in doubt.
	cancel()
	err := <-done
	if err == nil || errors.Is(err, cluster.ErrInDoubt) || !strings.Contains(err.Error(), "waiting for rD to run on n1: context canceled (last seen: rD is running on n3)") {
		t.Errorf("err = %v, want what it waited for and last saw, not in doubt", err)
	}
	want := []string{
		`n1: cibadmin --modify --allow-create --scope constraints --xml-text <rsc_location id="runbook-prefer-rD" rsc="rD" node="n1" score="INFINITY"></rsc_location>`,
		`n1: cibadmin --modify --allow-create --scope constraints --xml-text <rsc_location id="runbook-ban-rD" rsc="rD" node="n3" score="-INFINITY"></rsc_location>`,
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-prefer-rD"></rsc_location>`,
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-ban-rD"></rsc_location>`,
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

// noDC is crm_mon's answer while the cluster elects a DC.
const noDC = `<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml --inactive">
  <summary><current_dc present="false"/></summary>
  <nodes/>
  <status code="0" message="OK"/>
</pacemaker-result>`

func TestParseMembers(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		members   []string
		local     string
	}{
		{"corosync 3.1 with qdevice column", "\nMembership information\n----------------------\n    Nodeid      Votes    Qdevice Name\n         1          1         NR n1 (local)\n         3          1         NR n3\n", []string{"n1", "n3"}, "n1"},
		{"without qdevice column", "Membership information\n    Nodeid      Votes Name\n         2          1 n2\n         3          1 n3 (local)\n", []string{"n2", "n3"}, "n3"},
		{"addresses, no names", "    Nodeid      Votes    Qdevice Name\n         1          1         NR 10.0.0.1 (local)\n", []string{"10.0.0.1"}, "10.0.0.1"},
		{"empty", "", nil, ""},
		{"an error text", "Cannot initialize CMAP service\n", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, local := parseMembers(tc.out)
			if diff := cmp.Diff(tc.members, slices.Sorted(maps.Keys(set))); diff != "" || local != tc.local {
				t.Errorf("members (-want +got):\n%s\nlocal %q, want %q", diff, local, tc.local)
			}
		})
	}
}

// A killed node stays online in crm_mon for seconds; corosync's membership
// drops it first, and Status says so.
func TestStatusLostFromMembership(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}, members: []string{"n1", "n2"}}
	d := newFake(t, f)
	_, err := d.Status(context.Background())
	var lost *LostError
	if !errors.As(err, &lost) || strings.Join(lost.Nodes, ",") != "n3" || !strings.Contains(err.Error(), "node n3 left the cluster") {
		t.Fatalf("err = %v, want n3 lost", err)
	}
	// A node being upgraded, or in standby, is out on purpose.
	d.upgrading["n3"] = true
	if _, err := d.Status(context.Background()); err != nil {
		t.Errorf("n3 being upgraded: %v", err)
	}
	delete(d.upgrading, "n3")
	f.cibFile = "cib-n1-left.xml" // n1 in standby
	f.members = []string{"n2", "n3"}
	if _, err := d.Status(context.Background()); err != nil {
		t.Errorf("n1 in standby and out of the membership: %v", err)
	}
}

// While no node answers with a DC, a node lost from the membership ends the
// wait at once rather than after Config.Settle.
func TestStatusNoDCNodeLost(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	d.cfg.Settle = time.Hour
	d.cfg.Poll = time.Millisecond
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.monFile, f.members = "", []string{"n1", "n2"}
	f.mu.Unlock()
	_, err := d.Status(context.Background())
	var lost *LostError
	if !errors.As(err, &lost) || strings.Join(lost.Nodes, ",") != "n3" || !strings.Contains(err.Error(), "no node answers with a DC") {
		t.Fatalf("err = %v, want n3 lost while no node answers with a DC", err)
	}
	// With every node a member, it waits for the DC (Settle).
	f.mu.Lock()
	f.members = nil
	f.mu.Unlock()
	d.cfg.Settle = 20 * time.Millisecond
	if _, err := d.Status(context.Background()); err == nil || errors.As(err, &lost) || !strings.Contains(err.Error(), "no DC") {
		t.Fatalf("err = %v, want no DC", err)
	}
}

// A change whose command hangs is stopped after Config.CommandTimeout and
// is in doubt; the constraints are still cleared.
func TestCommandTimeoutInDoubt(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-after-failback.xml", cibFile: "cib-mixed-versions.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}, hang: "cibadmin --modify"}
	d := newFake(t, f)
	d.cfg.CommandTimeout = 20 * time.Millisecond
	err := d.Migrate(context.Background(), cluster.Resource{Name: "rD"}, cluster.Node{Name: "n1"})
	if !errors.Is(err, cluster.ErrInDoubt) || !errors.Is(err, errCommandTimeout) {
		t.Fatalf("err = %v, want in doubt after the command timeout", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if last := f.calls[len(f.calls)-1]; !strings.Contains(last, "cibadmin --delete") {
		t.Errorf("last command %q, want the constraints cleared", last)
	}
}

// A run killed in the middle of a move leaves its constraints; the next run
// removes them first, and nothing else.
func TestClearLeftovers(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-leftovers.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	removed, err := d.ClearLeftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"runbook-prefer-rD", "runbook-ban-rD"}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	want := []string{
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-prefer-rD"></rsc_location>`,
		`n1: cibadmin --delete --scope constraints --xml-text <rsc_location id="runbook-ban-rD"></rsc_location>`,
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}
