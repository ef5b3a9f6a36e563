package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
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

// TestShownDowntime: the summary's downtime table shows what sorting every
// resource by its downtime, longest first and then by name, and keeping
// the first maxDowntimeLines, shows: whatever the ties, and on both sides
// of the bound.
func TestShownDowntime(t *testing.T) {
	// sortedAll is how the table was chosen before it sorted only the
	// names it shows.
	sortedAll := func(dt map[string]time.Duration, most int) ([]string, int) {
		var names []string
		for _, n := range slices.Sorted(maps.Keys(dt)) {
			if dt[n] > 0 {
				names = append(names, n)
			}
		}
		more := 0
		if len(names) > most {
			sort.SliceStable(names, func(i, j int) bool { return dt[names[i]] > dt[names[j]] })
			more = len(names) - most
			names = names[:most]
			sort.Strings(names)
		}
		return names, more
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 19, 20, 21, 40, 1000} {
		for _, spread := range []int{1, 2, 3, 30, 1 << 30} {
			for range 20 {
				dt := map[string]time.Duration{}
				for i := range size {
					// Some without downtime; spread makes ties.
					dt[fmt.Sprintf("R%05d", rng.IntN(size*3+1))] = time.Duration(rng.IntN(spread)) * time.Minute
					if i%7 == 0 {
						dt[fmt.Sprintf("Z%d", i)] = 0
					}
				}
				gotNames, gotMore := shownDowntime(dt, maxDowntimeLines)
				wantNames, wantMore := sortedAll(dt, maxDowntimeLines)
				if !slices.Equal(gotNames, wantNames) || gotMore != wantMore {
					t.Fatalf("%d resources, spread %d: shown %v and %d more, want %v and %d more", len(dt), spread, gotNames, gotMore, wantNames, wantMore)
				}
			}
		}
	}
}
