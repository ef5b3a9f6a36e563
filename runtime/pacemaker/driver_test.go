package pacemaker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/runbookhq/runbook/steps"
)

// The testdata files were recorded from the harness's real cluster
// (runtime/pacemaker/harness, -capture): nodes n1-n3, resources rA-rD.

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
	want := &crmConfig{Licenses: [][2]string{{"NetWare 6.5 Cluster Server", "2.0"}}, Schema: "pacemaker-3.9",
		Standby:     map[string]bool{},
		Stickiness:  map[string]string{"rA": "0", "rB": "INFINITY", "rC": "0", "rD": "INFINITY"},
		Constraints: []string{"loc-rA-n1", "loc-rA-n2", "loc-rA-n3", "loc-rB-n2", "loc-rB-n3", "loc-rB-n1", "loc-rC-n3", "loc-rC-n1", "loc-rC-n2", "loc-rD-n1", "loc-rD-n3", "loc-rD-n2"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// fakeRunner answers crm_mon and cibadmin --query from testdata files and
// the version command from a map, and records every other command.
type fakeRunner struct {
	monFile, cibFile string
	versions         map[string]string
	down             map[string]bool // nodes that do not answer
	calls            []string
}

func (f *fakeRunner) run(_ context.Context, node string, argv ...string) ([]byte, error) {
	if f.down[node] {
		return nil, errors.New("ssh: connect to host " + node + ": No route to host")
	}
	switch {
	case argv[0] == "crm_mon":
		return os.ReadFile(filepath.Join("testdata", f.monFile))
	case argv[0] == "cibadmin" && argv[1] == "--query":
		return os.ReadFile(filepath.Join("testdata", f.cibFile))
	case argv[0] == "cat":
		return []byte(f.versions[node] + "\n"), nil
	}
	f.calls = append(f.calls, node+": "+strings.Join(argv, " "))
	return nil, nil
}

func newFake(t *testing.T, f *fakeRunner) *Driver {
	t.Helper()
	d, err := New(Config{Nodes: []string{"n1", "n2", "n3"}, Run: f.run, MediaVersion: "1.0",
		Upgrade: func(ctx context.Context, node, to string) error {
			f.calls = append(f.calls, "upgrade "+node+" "+to)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestStatus(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-n1-left.xml", cibFile: "cib-n1-left.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantNodes := map[string]steps.NodeStatus{
		"n1": {Version: "1.0", State: steps.NodeDown}, // in standby: it has left
		"n2": {Version: "1.0", State: steps.NodeUp},
		"n3": {Version: "1.0", State: steps.NodeUp},
	}
	if diff := cmp.Diff(wantNodes, st.Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	wantRes := map[string]steps.ResourceStatus{
		"rA": {State: steps.ResourceRunning, Node: "n2"},
		"rB": {State: steps.ResourceRunning, Node: "n2"},
		"rC": {State: steps.ResourceRunning, Node: "n3"},
		"rD": {State: steps.ResourceRunning, Node: "n3"},
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
	if got := st.Resources["rA"]; got != (steps.ResourceStatus{State: steps.ResourceOffline, Node: "n1"}) {
		t.Errorf("rA = %+v, want offline at n1", got)
	}
	if got := st.Nodes["n3"].Version; got != "1.0" {
		t.Errorf("n3 version = %q, want the last one read, 1.0", got)
	}
}

func TestOperations(t *testing.T) {
	f := &fakeRunner{monFile: "crm_mon-healthy.xml", cibFile: "cib-n1-left.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	ctx := context.Background()
	n1 := steps.Node{Name: "n1"}
	for _, op := range []func() error{
		func() error { return d.Leave(ctx, n1) },
		func() error { return d.Upgrade(ctx, n1, "2.0") },
		func() error { return d.Offline(ctx, steps.Resource{Name: "rA"}) },
		func() error { return d.MediaRefresh(ctx, steps.Node{Name: "n2"}) },
		func() error {
			return d.InstallLicense(ctx, steps.License{Product: "NetWare 6.5 Cluster Server", Version: "2.0"})
		},
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"n1: crm_attribute --type nodes --node n1 --name standby --update on",
		"upgrade n1 2.0",
		"n1: crm_attribute --type nodes --node n1 --name standby --delete",
		"n1: crm_resource --resource rA --meta --set-parameter target-role --parameter-value Stopped",
		"n2: crm_resource --refresh --node n2",
		"n1: crm_attribute --type crm_config --name runbook-license-7de7d625c73c --update 2.0 NetWare 6.5 Cluster Server",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestMigrateBansTheCurrentNode(t *testing.T) {
	// crm_mon-after-failback: rD (INFINITY) runs on n3, its home is n1.
	f := &fakeRunner{monFile: "crm_mon-after-failback.xml", cibFile: "cib-n1-left.xml",
		versions: map[string]string{"n1": "1.0", "n2": "1.0", "n3": "1.0"}}
	d := newFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	d.cfg.Poll = 1
	done := make(chan error)
	go func() { done <- d.Migrate(ctx, steps.Resource{Name: "rD"}, steps.Node{Name: "n1"}) }()
	// The fake cluster never moves rD; the caller gives up.
	cancel()
	err := <-done
	if !errors.Is(err, steps.ErrInDoubt) {
		t.Errorf("err = %v, want ErrInDoubt", err)
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
