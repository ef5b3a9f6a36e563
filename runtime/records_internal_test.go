package runtime

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// TestCompactRecord: every field of a Record, set alone, comes back from
// the compact form the chunks keep: a field added to Record and not to
// compactOf fails here.
func TestCompactRecord(t *testing.T) {
	typ := reflect.TypeOf(Record{})
	for i := range typ.NumField() {
		var r Record
		f := reflect.ValueOf(&r).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(7)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
		default:
			t.Fatalf("field %s: kind %s not covered by this test", typ.Field(i).Name, f.Kind())
		}
		c := compactOf(&r)
		if got := c.record(); !reflect.DeepEqual(got, r) {
			t.Errorf("field %s: %+v came back as %+v", typ.Field(i).Name, r, got)
		}
	}
}

// TestCompactCodes: a record of each type, status and outcome the chunks
// keep by their index comes back, kept compact; any other is kept whole.
func TestCompactCodes(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, typ := range append(compactTypes[:], RecordRun, RecordEnd, "other") {
		for _, status := range append(compactStatuses[:], StatusPending, "other") {
			for _, outcome := range append(compactOutcomes[:], OutcomeCompleted, "other") {
				r := Record{Type: typ, Time: t0, Address: "step.a", Status: status, Outcome: outcome, Op: "leave N1"}
				c := compactOf(&r)
				if got := c.record(); !reflect.DeepEqual(got, r) {
					t.Errorf("%+v came back as %+v", r, got)
				}
				_, ok1 := codeOf(compactTypes[:], typ)
				_, ok2 := codeOf(compactStatuses[:], status)
				_, ok3 := codeOf(compactOutcomes[:], outcome)
				if whole := c.full != nil; whole != !(ok1 && ok2 && ok3) {
					t.Errorf("%+v: kept whole %v", r, whole)
				}
			}
		}
	}
	if unsafe.Sizeof(compact{}) > 112 {
		t.Errorf("compact is %d bytes", unsafe.Sizeof(compact{}))
	}
}

// TestRecordsChunks: records added past the room of those read, over
// several chunks, come back in order, whole.
func TestRecordsChunks(t *testing.T) {
	var rs records
	rs.flat = make([]Record, 0, 10)
	var want []Record
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3*recordChunk + 17 {
		r := Record{Type: RecordStep, Time: t0.Add(time.Duration(i) * time.Second), Address: "step.a", Status: StatusDone}
		switch i % 5 {
		case 1:
			r = Record{Type: RecordRun, Time: r.Time, Command: "runbook run", User: "u"}
		case 2:
			r.Error, r.Continued = "boom", true
		}
		want = append(want, r)
		rs.add([]Record{r})
		if i == 5000 {
			if got := rs.all(); !reflect.DeepEqual(got, want) {
				t.Fatalf("after %d records: differ", i+1)
			}
		}
	}
	if got := rs.all(); !reflect.DeepEqual(got, want) {
		t.Fatal("records differ")
	}
}

// TestRecordList: a RecordList of records kept in pieces yields what
// Records joins, whole and in windows, forward and backward, records of
// every kind kept compact or whole in turn.
func TestRecordList(t *testing.T) {
	var rs records
	rs.flat = make([]Record, 0, 100)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 2*recordChunk + 333 {
		r := Record{Type: RecordStep, Time: t0.Add(time.Duration(i) * time.Second), Address: "step.a", Status: StatusDone}
		switch i % 7 {
		case 3:
			r = Record{Type: RecordRun, Time: r.Time, Driver: "sim"}
		case 4:
			r = Record{Type: RecordOp, Time: r.Time, Address: "step.b", Op: "leave N1", Gated: true}
		case 5:
			r = Record{Type: RecordOpEnd, Time: r.Time, Address: "step.b", Op: "leave N1", Outcome: OpOK}
		case 6:
			r = Record{Type: RecordChange, Time: r.Time, Address: "step.c", Change: &Change{Kind: ChangeNode, Name: "N1"}}
		case 1:
			r.Status, r.Continued, r.Started, r.Changes, r.Outages = StatusFailed, true, &t0, &Delta{}, &Outages{}
			if i%3 == 0 {
				r.Error = "boom" // kept whole
			}
		}
		rs.add([]Record{r})
	}
	s := &State{records: rs}
	l := s.RecordList()
	want := s.records.all()
	collect := func(seq func(func(int, *Record) bool)) (idx []int, out []Record) {
		for i, r := range seq {
			idx = append(idx, i)
			out = append(out, *r)
		}
		return idx, out
	}
	for _, w := range [][2]int{{0, len(want)}, {0, 0}, {50, 150}, {99, 101}, {100, recordChunk + 100}, {recordChunk + 99, len(want)}, {len(want) - 1, len(want)}} {
		sub := l.Slice(w[0], w[1])
		if sub.Len() != w[1]-w[0] {
			t.Errorf("window %v: Len %d", w, sub.Len())
		}
		idx, got := collect(sub.All())
		if !reflect.DeepEqual(got, want[w[0]:w[1]]) && w[1] > w[0] {
			t.Errorf("window %v: All differs", w)
		}
		for k, i := range idx {
			if i != k {
				t.Fatalf("window %v: index %d at %d", w, i, k)
			}
		}
		idx, back := collect(sub.Backward())
		for k := range back {
			if !reflect.DeepEqual(back[k], want[w[1]-1-k]) || idx[k] != w[1]-w[0]-1-k {
				t.Fatalf("window %v: Backward differs at %d", w, k)
			}
		}
	}
	if got := ListOf(want).Slice(3, 9); got.Len() != 6 {
		t.Errorf("ListOf(...).Slice(3, 9).Len() = %d", got.Len())
	}
}
