package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// TestRecordEncoding holds the journal's hand-written encoder to
// encoding/json's bytes, on every kind of record and on strings and numbers
// that need care.
func TestRecordEncoding(t *testing.T) {
	recs := sampleRecords()
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
	// As the journal's writers encode them, one after the other: the
	// records as they are (add) and as the State keeps them (addCompact),
	// with the times encoded last reused.
	recs = append(recs, runRecords(20)...)
	var now, kept encoder
	for i := range recs {
		c := compactOf(&recs[i])
		if err := now.add(&recs[i], nil); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := kept.addCompact(&c, nil); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	for _, e := range []*encoder{&now, &kept} {
		lines := e.lines()
		if len(lines) != len(recs) {
			t.Fatalf("%d lines for %d records", len(lines), len(recs))
		}
		for i, l := range lines {
			want, _ := json.Marshal(recs[i])
			if !bytes.Equal(l, want) {
				t.Errorf("record %d as the journal's writer encodes it (compact: %v):\n got %s\nwant %s", i, e == &kept, l, want)
			}
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

// sampleRecords are records of every kind, with strings and numbers that
// need care.
func sampleRecords() []Record {
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
	return recs
}

// TestRecordDecoding: the journal's reader gives the records encoding/json
// gives, on every sample record and on lines written otherwise (spaces,
// escapes, keys in another case, unknown keys, nulls); and it reads the
// plain records itself, without encoding/json.
func TestRecordDecoding(t *testing.T) {
	var lines [][]byte
	fast := 0
	for i, r := range sampleRecords() {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b)
		var got Record
		if decodeRecord(b, &got) {
			fast++
		} else if i < 22 && r.Error == "" && r.Command == "" && r.Message == "" {
			t.Errorf("record %d is read by encoding/json: %s", i, b)
		}
	}
	if fast < 15 {
		t.Errorf("only %d records read without encoding/json", fast)
	}
	for _, l := range []string{
		`{"type":"step","time":"2000-01-01T22:00:00Z","address":"a","status":"done","started":"2000-01-01T21:00:00+02:30","changes":{"nodes":{"N":{"version":"6.5","state":"up"},"M":null},"resources":{},"licenses":[],"media_version":"6.5"},"outages":{"ended_seconds":{"R":1.5e-7,"S":12},"since":{"R":"2000-01-01T22:00:00.5Z"}}}`,
		` { "type" : "op" , "time" : "2000-01-01T22:00:00Z" , "op" : "leave N0" , "gated" : true , "pgid" : -12 } `,
		`{"Type":"op","time":"2000-01-01T22:00:00Z"}`,
		`{"type":"op","time":"2000-01-01T22:00:00Z","future":{"x":[1,2]}}`,
		`{"type":"op-end","time":"2000-01-01T22:00:00Z","error":"say \"no\" \u003c\u003e \\ \u2028 \ud83d\ude00 \ud800"}`,
		`{"type":null,"time":null,"started":null,"changes":null,"outages":null,"ops":null,"change":null,"downtime_seconds":null,"continued":null}`,
		`{"type":"reissue","time":"2000-01-01T22:00:00Z","ops":[],"downtime_seconds":{}}`,
		`{"type":"change","time":"2000-01-01T22:00:00Z","change":{"kind":"resource","name":"R","unplanned":false}}`,
		`{"type":"step","changes":{"licenses":null,"media_version":null,"nodes":null}}`,
	} {
		lines = append(lines, []byte(l))
	}
	got, err := decodeRecords(lines, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		var want Record
		if err := json.Unmarshal(l, &want); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("line %d: %s\n got %+v\nwant %+v", i, l, got[i], want)
		}
	}
	for _, bad := range []string{`{"type":"op"`, `{"type":1}`, `{"pgid":1.5}`, `{"time":"yesterday"}`, `nul`} {
		if _, err := decodeRecords([][]byte{[]byte(bad)}, "test"); err == nil {
			t.Errorf("%s: read without an error", bad)
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

// runRecords are the records a simulated run of n nodes journals, as many
// of each kind and as long as in a run of the generated runbooks: a
// step's start and end (its changes and outages), its operations' intents
// and outcomes, and the changes of nodes and resources observed.
func runRecords(n int) []Record {
	t0 := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	recs := make([]Record, 0, 20*n)
	for i := range n {
		node, next, res := fmt.Sprintf("N%d", i), fmt.Sprintf("N%d", i+1), fmt.Sprintf("R%d", i)
		addr := fmt.Sprintf("rolling.all[%s].upgrade-node.up", node)
		t := t0.Add(time.Duration(i) * 35 * time.Minute)
		started := t
		recs = append(recs, Record{Type: RecordStep, Time: t, Address: addr, Status: StatusStarted})
		for k, op := range []string{"leave ", "upgrade "} {
			recs = append(recs, Record{Type: RecordOp, Time: t, Address: addr, Op: op + node})
			t = t.Add(15 * time.Second)
			recs = append(recs, Record{Type: RecordOpEnd, Time: t, Address: addr, Op: op + node, Outcome: OpOK})
			from, to := "up", "down"
			rfrom, rto := node, next
			if k == 1 {
				from, to, rfrom, rto = "down", "up", next, node
			}
			recs = append(recs,
				Record{Type: RecordChange, Time: t, Address: addr, Change: &Change{Kind: ChangeNode, Name: node, FromState: from, ToState: to,
					FromVersion: "6.0", ToVersion: "6.0", FromMedia: "6.0", ToMedia: "6.0"}},
				Record{Type: RecordChange, Time: t, Address: addr, Change: &Change{Kind: ChangeResource, Name: res, FromState: "running", ToState: "running",
					FromNode: rfrom, ToNode: rto}})
		}
		recs = append(recs, Record{Type: RecordStep, Time: t, Address: addr, Status: StatusDone, Started: &started,
			Changes: &Delta{Nodes: map[string]*cluster.NodeStatus{node: {Version: "6.5", State: "up", Media: "6.0"}},
				Resources: map[string]*cluster.ResourceStatus{res: {State: "running", Node: node}}},
			Outages: &Outages{}})
		back := "rolling.all[" + node + "].await-failback.back"
		recs = append(recs, Record{Type: RecordStep, Time: t, Address: back, Status: StatusStarted},
			Record{Type: RecordStep, Time: t, Address: back, Status: StatusDone, Started: &t, Outages: &Outages{}})
	}
	return recs
}

// BenchmarkEncode encodes the records of a simulated run of 1,000 nodes as
// the journal's writer does: each kept as the State keeps it (compact),
// encoded into a buffer reused from one batch to the next.
func BenchmarkEncode(b *testing.B) {
	recs := runRecords(1000)
	var rs records
	rs.add(recs)
	parts := []recordPart{}
	for _, c := range rs.chunks {
		parts = append(parts, recordPart{chunk: c})
	}
	var e encoder
	size := 0
	b.ReportAllocs()
	for range b.N {
		e.reset()
		for _, p := range parts {
			for i := range p.chunk {
				if err := e.addCompact(&p.chunk[i], nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		size = len(e.buf)
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
