package runtime

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnded(t *testing.T) {
	const a = "step.media-upgrade.m"
	op := func(k string) Record { return Record{Type: RecordOp, Address: a, Op: k} }
	step := func(status string) Record { return Record{Type: RecordStep, Address: a, Status: status} }
	for _, tc := range []struct {
		name string
		recs []Record
		want map[string]bool
	}{
		{"died while running", []Record{step(StatusStarted), op("offline P1"), op("media_upgrade N1")}, nil},
		{"stopped in doubt", []Record{step(StatusStarted), op("offline P1"), step(StatusInDoubt)}, map[string]bool{"offline P1": true}},
		{"then died", []Record{step(StatusStarted), op("offline P1"), step(StatusInDoubt), step(StatusStarted), op("media_upgrade N1")},
			map[string]bool{"offline P1": true}},
		{"failed: over", []Record{step(StatusStarted), op("offline P1"), step(StatusInDoubt), step(StatusFailed)}, nil},
		{"outcome recorded", []Record{step(StatusStarted), op("offline P1"), {Type: RecordOpEnd, Address: a, Op: "offline P1", Outcome: OpOK}, op("media_upgrade N1")},
			map[string]bool{"offline P1": true}},
		{"other step", []Record{{Type: RecordOp, Address: "x", Op: "leave N1"}, {Type: RecordStep, Address: "x", Status: StatusInDoubt}}, nil},
	} {
		if diff := cmp.Diff(tc.want, ended(tc.recs, a)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
