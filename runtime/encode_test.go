package runtime

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// TestRecordEncoding holds the journal's hand-written encoder to
// encoding/json's bytes, on every kind of record and on strings and numbers
// that need care.
func TestRecordEncoding(t *testing.T) {
	var odd []string
	for c := 0; c < 256; c++ {
		odd = append(odd, "a"+string([]byte{byte(c)})+"b")
	}
	odd = append(odd, "", "plain", `quote " and \ back`, "<script>&amp;</script>", "line\u2028sep\u2029para", "héllo wörld ☃ 😀",
		"\xff\xfe bad utf-8 \xc3", "tab\tnew\nline\rcr\bbs\fff", "\u007f\u0080\u00a0")
	at := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	frac := time.Date(2026, 11, 29, 20, 51, 35, 564562921, time.UTC)
	zoned := time.Date(2026, 3, 1, 2, 3, 4, 5000, time.FixedZone("X", 2*3600+30*60))
	mv := "6.5"
	lic := []cluster.LicenseStatus{{Product: "NetWare 6.5 Cluster Server", Version: "6.5"}, {Product: "P<&>", Version: "7"}}
	var nilLic []cluster.LicenseStatus
	emptyLic := []cluster.LicenseStatus{}
	recs := []Record{
		{},
		{Type: RecordRun, Time: at, Runbook: "bench", Driver: "sim", Command: "runbook run --driver sim x.hcl", User: "root", Host: "vm",
			Answer: "--auto-approve", Answered: &frac, RunbookVersion: "1.0.0", SHA256: "f8a0"},
		{Type: RecordStep, Time: at, Address: "rolling.all[N0].upgrade-node.up", Status: StatusStarted},
		{Type: RecordOp, Time: zoned, Address: "a", Op: "leave N0", Gated: true},
		{Type: RecordOpStarted, Time: at, Address: "a", Op: "leave N0", Pgid: 12345, Boot: "b-o-o-t", Host: "h", Ran: "/tmp/ran"},
		{Type: RecordOpEnd, Time: at, Address: "a", Op: "leave N0", Outcome: OpFailed, Error: "exit status 1: <oops> & \"more\""},
		{Type: RecordReissue, Time: at, Address: "a", Ops: []string{"leave N0", "upgrade N0"}, User: "u", Host: "h"},
		{Type: RecordReissue, Time: at, Ops: []string{}},
		{Type: RecordChange, Time: at, Address: "a", Change: &Change{Kind: ChangeNode, Name: "N0", FromState: "up", ToState: "down", FromVersion: "6.0", ToVersion: "6.0", FromMedia: "6.0", ToMedia: "6.5"}},
		{Type: RecordChange, Time: at, Change: &Change{Kind: ChangeResource, Name: "R0", FromState: "running", ToState: "offline", FromNode: "N0", Unplanned: true}},
		{Type: RecordChange, Time: at, Change: &Change{Kind: ChangeLicense, Product: "P", ToVersion: "6.5"}},
		{Type: RecordStep, Time: at, Address: "x", Status: StatusDone, Started: &at, Continued: true, Error: "e",
			Changes: &Delta{Nodes: map[string]*cluster.NodeStatus{"N1": {Version: "6.5", State: "up", Media: "6.0"}, "N0": {Version: "6.5", State: "down"}, "gone": nil},
				Resources: map[string]*cluster.ResourceStatus{"R2": {State: "running", Node: "N1"}, "R1": nil, "R0": {State: "offline"}},
				Licenses:  &lic, MediaVersion: &mv},
			Outages: &Outages{Ended: map[string]float64{"R0": 15, "R1": 0.5, "R2": 1e-7, "R3": 1e21, "R4": 123456789.125, "R5": 0, "R6": -2.5e-9},
				Since: map[string]time.Time{"R9": at, "R8": frac}}},
		{Type: RecordStep, Changes: &Delta{}, Outages: &Outages{}},
		{Type: RecordStep, Changes: &Delta{Licenses: &nilLic}},
		{Type: RecordStep, Changes: &Delta{Licenses: &emptyLic}},
		{Type: RecordStep, Changes: &Delta{MediaVersion: &mv}},
		{Type: RecordStep, Changes: &Delta{Resources: map[string]*cluster.ResourceStatus{"R": {State: "running", Node: "N"}}}},
		{Type: RecordStep, Outages: &Outages{Since: map[string]time.Time{"R": at}}},
		{Type: RecordEnd, Time: at, Outcome: OutcomeCompleted, Message: "run complete", Address: "step.x",
			Downtime: map[string]Seconds{"R0": 60, "R1": 0.25, "R2": 1e22, "R3": 3.0000000000000004}},
		{Type: RecordApproval, Time: at, Address: "step.approve.media", User: "alice", Host: "ops1", Answer: "yes"},
	}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return odd[r.IntN(len(odd))] }
	for range 300 {
		recs = append(recs, Record{Type: pick(), Time: at.Add(time.Duration(r.Int64N(1e15))), Address: pick(), Status: pick(), Error: pick(), Op: pick(),
			Boot: pick(), Ran: pick(), Outcome: pick(), Ops: []string{pick(), pick()}, Runbook: pick(), Driver: pick(), Command: pick(), User: pick(),
			Host: pick(), Answer: pick(), RunbookVersion: pick(), SHA256: pick(), Message: pick(), Pgid: r.IntN(3) - 1,
			Change:    &Change{Kind: pick(), Name: pick(), FromState: pick(), ToState: pick(), FromNode: pick(), ToNode: pick(), FromVersion: pick(), ToVersion: pick(), Product: pick(), FromMedia: pick(), ToMedia: pick()},
			Changes:   &Delta{Nodes: map[string]*cluster.NodeStatus{pick(): {Version: pick(), State: pick(), Media: pick()}, pick(): nil}, Resources: map[string]*cluster.ResourceStatus{pick(): {State: pick(), Node: pick()}}},
			Outages:   &Outages{Ended: map[string]float64{pick(): r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))}},
			Downtime:  map[string]Seconds{pick(): Seconds(r.Float64() * 1e6)},
			Continued: r.IntN(2) == 0, Gated: r.IntN(2) == 0})
	}
	for i := range recs {
		want, err := json.Marshal(recs[i])
		if err != nil {
			t.Fatalf("record %d: json: %v", i, err)
		}
		got, err := appendRecord(nil, &recs[i])
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
	bad := []Record{
		{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Type: RecordEnd, Downtime: map[string]Seconds{"R": Seconds(math.NaN())}},
		{Type: RecordStep, Outages: &Outages{Ended: map[string]float64{"R": math.Inf(1)}}},
	}
	for i := range bad {
		if _, err := json.Marshal(bad[i]); err == nil {
			t.Fatalf("bad record %d: json encodes it", i)
		}
		if _, err := appendRecord(nil, &bad[i]); err == nil {
			t.Errorf("bad record %d: encoded", i)
		}
	}
}

// TestSnapshotEncoding holds the snapshot's encoder to encoding/json's bytes.
func TestSnapshotEncoding(t *testing.T) {
	st := cluster.NewStatus()
	st.SetNode("N0", cluster.NodeStatus{Version: "6.0", State: cluster.NodeUp})
	st.SetResource("R0", cluster.ResourceStatus{State: cluster.ResourceRunning, Node: "N0"})
	at := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	for _, s := range []*cluster.Status{nil, st} {
		want, err := json.Marshal(snapshot{Time: at, Status: s})
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendSnapshot(nil, at, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got %s\nwant %s", got, want)
		}
	}
}
