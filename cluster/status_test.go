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
