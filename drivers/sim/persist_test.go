package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/teststore"
)

// TestDeltaLineEncoding holds the log's hand-written lines to the bytes
// encoding/json makes of a deltaLine built from the same change.
func TestDeltaLineEncoding(t *testing.T) {
	s := New(testCluster(), Options{Timings: DefaultTimings()})
	at := Epoch.Add(90 * time.Second)
	s.st.Clock = at
	s.st.Status.SetNode("A", cluster.NodeStatus{Version: "2.0", State: cluster.NodeDown, Media: "<&>\u2028"})
	s.st.Status.SetResource("R1", cluster.ResourceStatus{State: cluster.ResourceOffline, Node: "A"})
	s.st.setDowntime("R1", 1500*time.Millisecond)
	s.st.setDownSince("R1", at, true)
	s.st.Status.Licenses = []cluster.LicenseStatus{{Product: "P \"x\"", Version: "2.0"}}
	s.st.Status.MediaVersion = "2.0"
	s.st.Upgrades["A"] = 2
	// many repeats names, for more changes than an insertion sort takes.
	many := func(names ...string) []string {
		var out []string
		for i := 0; i < 50; i++ {
			out = append(out, names[i%len(names)])
		}
		return out
	}
	type names struct {
		clock, licenses, media     bool
		nodes, resources, upgrades []string
	}
	changes := []names{
		{},
		{clock: true},
		{nodes: []string{"B", "A", "B"}},
		{resources: []string{"R2", "R1"}},
		{licenses: true},
		{media: true},
		{upgrades: []string{"C", "A", "C"}},
		{clock: true, licenses: true, media: true, nodes: []string{"C"}, resources: []string{"R1", "R1"}, upgrades: []string{"A"}},
		{nodes: many("C", "A", "B"), resources: many("R3", "R1", "R2", "R4")},
	}
	for i, d := range changes {
		// The values the simulator records as it changes them, as the
		// maps hold them.
		s.changed = delta{clock: d.clock, licenses: d.licenses, media: d.media}
		// A name changed twice had another value before its last, which
		// the line does not say.
		last := func(list []string, i int) bool { return !slices.Contains(list[i+1:], list[i]) }
		for i, n := range d.nodes {
			v := nodeValue{n, s.st.Status.Nodes[n]}
			if !last(d.nodes, i) {
				v.ns.State = "earlier"
			}
			s.changed.nodes = append(s.changed.nodes, v)
		}
		for i, r := range d.resources {
			v := resourceValue{name: r, rs: s.st.Status.Resources[r], downtime: s.st.downtimes()[r]}
			v.since, v.down = s.st.downSince()[r]
			if !last(d.resources, i) {
				v.rs.State, v.downtime = "earlier", time.Duration(i)
			}
			s.changed.resources = append(s.changed.resources, v)
		}
		for _, n := range d.upgrades {
			s.changed.upgrades = append(s.changed.upgrades, upgradeValue{n, s.st.Upgrades[n]})
		}
		var l deltaLine
		if d.clock {
			c := s.st.Clock
			l.Clock = &c
		}
		if d.licenses {
			l.Licenses = s.st.Status.Licenses
		}
		if d.media {
			m := s.st.Status.MediaVersion
			l.Media = &m
		}
		fromState(s, &l, d.nodes, d.resources, d.upgrades)
		want, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.appendDeltaLine(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("change %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestSnapshotEncoding holds the snapshot's encoder to encoding/json's bytes.
func TestSnapshotEncoding(t *testing.T) {
	s := New(testCluster(), Options{Timings: DefaultTimings()})
	check := func() {
		t.Helper()
		want, err := json.Marshal(&snapshot{Format: formatVersion, Clock: s.st.Clock, Status: s.st.Status, Downtime: s.st.downtimes(),
			DownSince: s.st.downSince(), Upgrades: s.st.Upgrades, Refreshed: s.st.Refreshed})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.appendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got %s\nwant %s", got, want)
		}
	}
	check()
	s.st.setDowntime("R1", 90*time.Second)
	s.st.setDownSince("R<2>", Epoch, true)
	s.st.Upgrades["A"] = 1
	s.st.Refreshed = map[string]string{"A": "2.0", "B&": "1.0"}
	check()
	// Keys the last snapshot did not have, as many as it had (its keys,
	// kept for the next one, no longer do); then the same again.
	s.st.Refreshed = map[string]string{"A": "2.0", "C": "1.0"}
	a := s.st.Down["R1"]
	a.total, a.counted = 0, false
	s.st.Down["R1"] = a
	s.st.setDowntime("R9", time.Second)
	check()
	check()
	// No resource down: no key of down_since left.
	s.st.Status = nil
	for r := range s.st.downSince() {
		s.st.setDownSince(r, time.Time{}, false)
	}
	check()
}

// TestOpenedAsDeclared: a simulator opened without stored state says so, and
// starts where New does; one opened on a snapshot, or on a log alone, does
// not say so.
func TestOpenedAsDeclared(t *testing.T) {
	c := testCluster()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	if !s.OpenedAsDeclared() {
		t.Error("a simulator opened without stored state: OpenedAsDeclared is false")
	}
	m := New(c, Options{Timings: DefaultTimings()})
	got, _ := s.Status(ctx)
	want, _ := m.Status(ctx)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(cluster.Status{})); diff != "" || !s.Now().Equal(m.Now()) {
		t.Errorf("opened as declared, but not as New: clock %s, want %s; status (-want +got):\n%s", s.Now(), m.Now(), diff)
	}
	_ = s.Upgrade(ctx, node(c, "A"), "2")
	// Killed: the snapshot and the log stay.
	r, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	if r.OpenedAsDeclared() {
		t.Error("a simulator opened on a snapshot: OpenedAsDeclared is true")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, StateName)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, logName), []byte(`{"nodes":{"A":{"version":"2","state":"up"}}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
	if err != nil {
		t.Fatal(err)
	}
	if l.OpenedAsDeclared() {
		t.Error("a simulator opened on a log alone: OpenedAsDeclared is true")
	}
	l.Close()
}

// TestPrepareClose: the snapshot Close writes after PrepareClose is, byte
// for byte, the one it encodes itself, also when the simulator changed
// after PrepareClose.
func TestPrepareClose(t *testing.T) {
	c := testCluster()
	ctx := context.Background()
	for _, after := range []bool{false, true} {
		var snaps [][]byte
		for _, prepare := range []bool{false, true} {
			dir := t.TempDir()
			s, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
			if err != nil {
				t.Fatal(err)
			}
			_ = s.InstallLicense(ctx, c.Licenses[0])
			_ = s.Upgrade(ctx, node(c, "A"), "2")
			if prepare {
				s.PrepareClose()
			}
			if after {
				if s.prep != nil {
					<-s.prep.done // not concurrently with the encoding
				}
				_ = s.Migrate(ctx, res(c, "R2"), node(c, "A"))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, StateName))
			if err != nil {
				t.Fatal(err)
			}
			snaps = append(snaps, b)
		}
		if !bytes.Equal(snaps[0], snaps[1]) {
			t.Errorf("changed after PrepareClose: %v: the snapshot written\n%s\ndiffers from the one encoded at Close\n%s", after, snaps[1], snaps[0])
		}
	}
}

// TestOpenFresh: a simulator opened with what Prepare made ahead writes
// and starts as one opened without it, whatever the store keeps: from the
// prepared simulator when the store keeps none, and not when the store
// keeps one or the preparation was for other faults.
func TestOpenFresh(t *testing.T) {
	c := testCluster()
	ctx := context.Background()
	faults := []Fault{{Kind: FaultRebootFails, Target: "B"}}
	stores := map[string]func(dir string){
		"empty": func(string) {},
		"snapshot": func(dir string) {
			s, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings()})
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Upgrade(ctx, node(c, "A"), "2")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		},
		"log alone": func(dir string) {
			if err := os.WriteFile(filepath.Join(dir, logName), []byte(`{"nodes":{"A":{"version":"2","state":"up"}}}`+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, fill := range stores {
		for _, prepFaults := range [][]Fault{faults, nil} {
			var files [][]byte
			var sims []*Sim
			for _, ahead := range []bool{false, true} {
				dir := t.TempDir()
				fill(dir)
				o := drivers.Opening{Cluster: c, Store: teststore.Dir(dir), Faults: faults}
				var fresh *Fresh
				if ahead {
					fresh = Kind{}.Prepare(drivers.Opening{Cluster: c, Faults: prepFaults})().(*Fresh)
					o.Ahead = fresh
				}
				opened, err := Kind{}.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				s := opened.Driver.(*Sim)
				if ahead {
					if used := s == fresh.s || fresh.s == nil; used != (name == "empty" && prepFaults != nil) {
						t.Errorf("%s, prepared with faults %v: the prepared simulator used: %v", name, prepFaults, used)
					}
				}
				_ = s.Upgrade(ctx, node(c, "B"), "2")
				_ = s.Upgrade(ctx, node(c, "A"), "2")
				b, err := os.ReadFile(filepath.Join(dir, StateName))
				if err != nil {
					t.Fatal(err)
				}
				l, err := os.ReadFile(filepath.Join(dir, logName))
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, b, l)
				sims = append(sims, s)
				if err := opened.Close(); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 2 {
				if !bytes.Equal(files[i], files[i+2]) {
					t.Errorf("%s, prepared with faults %v: file %d written\n%s\nwant, as opened without\n%s", name, prepFaults, i, files[i+2], files[i])
				}
			}
			if sims[0].OpenedAsDeclared() != sims[1].OpenedAsDeclared() || !sims[0].Now().Equal(sims[1].Now()) {
				t.Errorf("%s: opened with what was prepared, not as without it", name)
			}
			got, _ := sims[1].Status(ctx)
			want, _ := sims[0].Status(ctx)
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(cluster.Status{})); diff != "" {
				t.Errorf("%s: status (-without +with):\n%s", name, diff)
			}
		}
	}
}

// TestDeltaLineValues holds each line the log writes, made of the values
// the simulator recorded as it changed its cluster, to the line encoding/json
// makes of the same names looked up in the cluster after the operation:
// through every operation, with faults, resources that go down and come
// back, and a group of operations.
func TestDeltaLineValues(t *testing.T) {
	c := testCluster()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(teststore.Dir(dir), c, Options{Timings: DefaultTimings(),
		Faults: []Fault{{Kind: FaultFailbackStalls, Target: "R1"}, {Kind: FaultMigrateFails, Target: "R3"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lines := 0
	check := func(what string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, logName))
		if err != nil {
			t.Fatal(err)
		}
		all := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(data) == 0 || len(all) == lines {
			return // nothing changed
		}
		lines = len(all)
		got := all[len(all)-1]
		var l deltaLine
		if err := json.Unmarshal(got, &l); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var want deltaLine
		if l.Clock != nil {
			c := s.st.Clock
			want.Clock = &c
		}
		want.Licenses, want.Media = l.Licenses, l.Media
		fromState(s, &want, slices.Collect(maps.Keys(l.Nodes)), slices.Collect(maps.Keys(l.Resources)), slices.Collect(maps.Keys(l.Upgrades)))
		w, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s: the log's line\n%s\nis not the cluster after it\n%s", what, got, w)
		}
	}
	ops := []struct {
		what string
		do   func() error
	}{
		{"leave A", func() error { return s.Leave(ctx, node(c, "A")) }},
		{"upgrade A unlicensed", func() error { return s.Upgrade(ctx, node(c, "A"), "2") }},
		{"licence", func() error { return s.InstallLicense(ctx, c.Licenses[0]) }},
		{"upgrade A", func() error { return s.Upgrade(ctx, node(c, "A"), "2") }},
		{"migrate R2 to A", func() error { return s.Migrate(ctx, res(c, "R2"), node(c, "A")) }},
		{"migrate R3", func() error { return s.Migrate(ctx, res(c, "R3"), node(c, "B")) }},
		{"upgrade B", func() error { return s.Upgrade(ctx, node(c, "B"), "2") }},
		{"leave C", func() error { return s.Leave(ctx, node(c, "C")) }},
		{"upgrade C", func() error { return s.Upgrade(ctx, node(c, "C"), "2") }},
		{"offline R1", func() error { return s.Offline(ctx, res(c, "R1")) }},
		{"offline R1 again", func() error { return s.Offline(ctx, res(c, "R1")) }},
		{"media upgrade", func() error { return s.MediaUpgrade(ctx, node(c, "A")) }},
		{"refresh B and C", func() error {
			return errors.Join(s.Concurrently(0, []func() error{
				func() error { return s.MediaRefresh(ctx, node(c, "B")) },
				func() error { return s.MediaRefresh(ctx, node(c, "C")) },
			})...)
		}},
		{"online R1", func() error { return s.Online(ctx, res(c, "R1"), node(c, "B")) }},
		{"online R1 again", func() error { return s.Online(ctx, res(c, "R1"), node(c, "A")) }},
		{"sleep", func() error { return s.Sleep(ctx, time.Minute) }},
		{"leave B", func() error { return s.Leave(ctx, node(c, "B")) }},
		{"leave A", func() error { return s.Leave(ctx, node(c, "A")) }},
	}
	for _, op := range ops {
		_ = op.do()
		check(op.what)
	}
	if lines < len(ops)/2 {
		t.Errorf("only %d lines for %d operations", lines, len(ops))
	}
}

// fromState sets in l the named nodes, resources and upgrade counts as the
// simulator's state has them now.
func fromState(s *Sim, l *deltaLine, nodes, resources, upgrades []string) {
	for _, n := range nodes {
		if l.Nodes == nil {
			l.Nodes = map[string]cluster.NodeStatus{}
		}
		l.Nodes[n] = s.st.Status.Nodes[n]
	}
	for _, r := range resources {
		if l.Resources == nil {
			l.Resources = map[string]resourceLine{}
		}
		rl := resourceLine{Status: s.st.Status.Resources[r], Downtime: s.st.downtimes()[r]}
		if since, ok := s.st.downSince()[r]; ok {
			rl.DownSince = &since
		}
		l.Resources[r] = rl
	}
	for _, n := range upgrades {
		if l.Upgrades == nil {
			l.Upgrades = map[string]int{}
		}
		l.Upgrades[n] = s.st.Upgrades[n]
	}
}
