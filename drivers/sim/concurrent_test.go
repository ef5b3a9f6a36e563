package sim

import (
	"context"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// TestConcurrently: operations of a group overlap on the virtual clock, in
// at most limit lanes, and the clock never goes back.
func TestConcurrently(t *testing.T) {
	c := testCluster()
	for _, tc := range []struct {
		limit int
		want  time.Duration
	}{{0, time.Minute}, {3, time.Minute}, {2, 2 * time.Minute}, {1, 3 * time.Minute}} {
		s := New(c, Options{Timings: Timings{MediaRefresh: time.Minute}})
		ctx := context.Background()
		start := s.Now()
		last := start
		var ops []func() error
		for _, n := range c.Nodes {
			ops = append(ops, func() error {
				if s.Now().Before(last) {
					t.Errorf("limit %d: the clock went back from %s to %s", tc.limit, last, s.Now())
				}
				last = s.Now()
				return s.MediaRefresh(ctx, n)
			})
		}
		for i, err := range cluster.Concurrently(s, tc.limit, ops) {
			if err != nil {
				t.Errorf("limit %d: op %d: %v", tc.limit, i, err)
			}
		}
		if got := s.Now().Sub(start); got != tc.want {
			t.Errorf("limit %d: the group took %s; want %s", tc.limit, got, tc.want)
		}
	}
}
