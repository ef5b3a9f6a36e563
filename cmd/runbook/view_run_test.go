package main

import (
	"testing"
	"time"
)

// TestAppendClock: the time of a run's line is what Format(timeLayout)
// gives, in any zone, across a day and beyond.
func TestAppendClock(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("plus", 5*3600+30*60), time.FixedZone("minus", -(9*3600 + 59*60 + 59))}
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		zones = append(zones, l)
	}
	start := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, z := range zones {
		for d := time.Duration(0); d < 50*time.Hour; d += 7*time.Second + 300*time.Millisecond {
			tm := start.Add(d).In(z)
			if got, want := string(appendClock(nil, tm)), tm.Format(timeLayout); got != want {
				t.Fatalf("appendClock(%v) = %q, want %q", tm, got, want)
			}
		}
	}
	for _, tm := range []time.Time{{}, time.Unix(-1, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)} {
		if got, want := string(appendClock(nil, tm)), tm.Format(timeLayout); got != want {
			t.Errorf("appendClock(%v) = %q, want %q", tm, got, want)
		}
	}
}
