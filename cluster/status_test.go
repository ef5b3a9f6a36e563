package cluster

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestStatusAppendJSON holds the hand-written encoding to encoding/json's.
func TestStatusAppendJSON(t *testing.T) {
	full := NewStatus()
	full.SetNode("B<1>", NodeStatus{Version: "6.5", State: NodeUp, Media: "6.5"})
	full.SetNode("A", NodeStatus{Version: "6.0", State: NodeDown})
	full.SetResource("R&2", ResourceStatus{State: ResourceRunning, Node: "B<1>"})
	full.SetResource("R1", ResourceStatus{State: ResourceOffline})
	full.Licenses = []LicenseStatus{{Product: "NetWare \"6.5\"", Version: "6.5"}, {Product: "P", Version: "7"}}
	full.MediaVersion = "6.5\u2028"
	for i, s := range []*Status{{}, NewStatus(), {Licenses: []LicenseStatus{}}, full} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("status %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestStateAppendJSON holds a node's and a resource's encoding to
// encoding/json's in every state, and in states no driver reports.
func TestStateAppendJSON(t *testing.T) {
	for _, st := range []string{NodeUp, NodeDown, ResourceRunning, ResourceOffline, ResourceUpgrade, ResourceComatose, "", "Up", "up\n", "<&>", "runnin", "running "} {
		for _, v := range []any{NodeStatus{Version: "6.5", State: st}, NodeStatus{State: st, Media: "6.0"}, ResourceStatus{State: st, Node: "A<1>"}, ResourceStatus{State: st}} {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			switch v := v.(type) {
			case NodeStatus:
				got = v.AppendJSON([]byte("x"))
			case ResourceStatus:
				got = v.AppendJSON([]byte("x"))
			}
			if !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Errorf("%#v:\n got %s\nwant x%s", v, got, want)
			}
		}
	}
}

// TestKeepJSON: a status whose JSON is kept appends the JSON it would make
// anew, before and after each kind of change.
func TestKeepJSON(t *testing.T) {
	s := NewStatus()
	s.SetNode("A", NodeStatus{Version: "6.0", State: NodeUp})
	s.SetResource("R1", ResourceStatus{State: ResourceRunning, Node: "A"})
	changes := []func(){
		func() {},
		func() { s.SetNode("A", NodeStatus{Version: "6.5", State: NodeDown}) },
		func() { s.SetResource("R1", ResourceStatus{State: ResourceOffline, Node: "A"}) },
		func() { s.MediaVersion = "6.5" },
		func() { s.Licenses = []LicenseStatus{} },
		func() { s.Licenses = append(s.Licenses, LicenseStatus{Product: "P", Version: "6.5"}) },
		func() { s.Licenses[0].Version = "7" },
		func() { s.Licenses = nil },
		func() { s.Nodes["B"] = NodeStatus{Version: "6.0", State: NodeUp}; s.Reindex() },
	}
	for i, change := range changes {
		s.KeepJSON()
		change()
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON([]byte("x")); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("change %d:\n got %s\nwant x%s", i, got, want)
		}
	}
}
