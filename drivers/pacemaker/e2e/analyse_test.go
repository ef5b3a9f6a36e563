package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAnalyse checks the probe's verdicts on made-up samples: the
// end-to-end test is only as good as what it can catch.
func TestAnalyse(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	up := map[string]nodeState{"n1": {online: true}, "n2": {online: true}, "n3": {online: true}}
	// at builds one sample per 100 ms from "node:call" (or "" for not active).
	at := func(nodes map[string]nodeState, where ...string) []sample {
		var ss []sample
		for i, w := range where {
			s := sample{t: t0.Add(time.Duration(i) * 100 * time.Millisecond), nodes: nodes, where: map[string][]string{}, start: map[string]int{}}
			if w != "" {
				node, call, _ := strings.Cut(w, ":")
				s.where["rA"] = []string{node}
				n, err := strconv.Atoi(call)
				if err != nil {
					t.Fatal(err)
				}
				s.start["rA"] = n
			}
			ss = append(ss, s)
		}
		return ss
	}
	homes := map[string]string{"rA": "n1"}
	pad := func(ss []sample) []sample { // ten samples at least
		for len(ss) < 10 {
			last := ss[len(ss)-1]
			last.t = last.t.Add(100 * time.Millisecond)
			ss = append(ss, last)
		}
		return ss
	}
	for _, tc := range []struct {
		name      string
		samples   []sample
		violation string // "" for none
		glitch    bool
		downtime  time.Duration
	}{
		{name: "steady", samples: pad(at(up, "n1:5", "n1:5", "n1:5"))},
		{name: "view glitch: same start call", samples: pad(at(up, "n1:5", "", "n1:5")), glitch: true},
		{name: "restart in place: new start call", samples: pad(at(up, "n1:5", "", "n1:9")), violation: "came back on the same node (start call 5, then 9)", downtime: 100 * time.Millisecond},
		{name: "restart, start call not shown", samples: pad(at(up, "n1:0", "", "n1:0")), violation: "came back on the same node", downtime: 100 * time.Millisecond},
		{name: "a move", samples: pad(at(up, "n1:5", "", "", "n2:3")), downtime: 200 * time.Millisecond},
		{name: "never back", samples: pad(at(up, "n1:5", "n1:5", "n1:5", "n1:5", "n1:5", "n1:5", "n1:5", "n1:5", "n1:5", "")), violation: "not running at the end"},
		{name: "two nodes out", samples: pad(at(map[string]nodeState{"n1": {online: true}, "n2": {online: true, standby: true}, "n3": {}}, "n1:5")), violation: "[n2 n3] out at once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := analyse(tc.samples, homes, [2]time.Time{})
			got := strings.Join(a.violations, "\n")
			if tc.violation == "" && got != "" || tc.violation != "" && !strings.Contains(got, tc.violation) {
				t.Errorf("violations:\n%s\nwant one with %q", got, tc.violation)
			}
			if (len(a.glitches) > 0) != tc.glitch {
				t.Errorf("glitches: %v, want %v", a.glitches, tc.glitch)
			}
			if a.downtime["rA"] != tc.downtime {
				t.Errorf("downtime %v, want %v", a.downtime["rA"], tc.downtime)
			}
		})
	}
}
