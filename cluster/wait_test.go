package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
)

// TestWaitForOf: a wait whose description is made on demand tells what
// WaitFor tells with it made at once, and returns the same, whether the
// condition holds at once (the description is then never made), after a
// few reads, or never.
func TestWaitForOf(t *testing.T) {
	c := cluster.NewCluster("C", []cluster.Node{{Name: "A", Version: "6.0"}}, nil, nil)
	for _, holdsAfter := range []int{0, 2, 1000} {
		type told struct {
			what, pending string
			now           time.Time
		}
		run := func(lazy bool) ([]told, []string, string, int) {
			d := sim.New(c, sim.Options{})
			var got []told
			var logs []string
			w := cluster.Watch{Poll: time.Minute,
				Waiting: func(what, pending string, now time.Time) { got = append(got, told{what, pending, now}) },
				Logf:    func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }}
			reads := 0
			cond := func(*cluster.Status) (string, error) {
				reads++
				if reads > holdsAfter {
					return "", nil
				}
				return fmt.Sprintf("read %d", reads), nil
			}
			deadline := d.Now().Add(time.Hour)
			made := 0
			var err error
			if lazy {
				_, err = cluster.WaitForOf(context.Background(), d, w, deadline, func() string { made++; return "A to rejoin" }, cond)
			} else {
				_, err = cluster.WaitFor(context.Background(), d, w, deadline, "A to rejoin", cond)
				made = -1
			}
			var te *cluster.TimeoutError
			msg := ""
			if errors.As(err, &te) {
				msg = te.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			return got, logs, msg, made
		}
		want, wantLogs, wantErr, _ := run(false)
		got, gotLogs, gotErr, made := run(true)
		if !slices.Equal(got, want) || !slices.Equal(gotLogs, wantLogs) || gotErr != wantErr {
			t.Errorf("holds after %d reads: WaitForOf told %v, logged %q, failed %q; WaitFor told %v, logged %q, failed %q",
				holdsAfter, got, gotLogs, gotErr, want, wantLogs, wantErr)
		}
		if wantMade := min(holdsAfter, 1); made != wantMade {
			t.Errorf("holds after %d reads: the description was made %d times; want %d", holdsAfter, made, wantMade)
		}
	}
}
