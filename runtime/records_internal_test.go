package runtime

import (
	"reflect"
	"testing"
	"time"
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
