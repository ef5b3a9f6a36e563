package pacemaker

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// A resource's downtime is read from its own operation history: the
// executor (pacemaker-execd) logs each start and stop when it finishes,
// to the millisecond, in Pacemaker's detail log on the node that ran it.
// A resource is down from the end of a stop that left it running nowhere
// to the end of the next start: a failover counts the seconds between its
// stop on one node and its start on the next, the media upgrade the time
// from each resource's own stop to its own start. The CIB's status
// section keeps only each resource's last operation per node, to the
// second, which cannot tell a move of 300 ms from one of 1.3 s.

var _ cluster.DowntimeReporter = (*Driver)(nil)

// Downtime returns each resource's downtime since the driver was made (a
// resource down when it was made counts from its stop, in an earlier run):
// from the executor's log on every node, or, when a node's log cannot be
// read, from the status reads (as precise as the poll interval).
func (d *Driver) Downtime() map[string]time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 2*d.cfg.CommandTimeout)
	defer cancel()
	if dt, ok := d.logDowntime(ctx); ok {
		return dt
	}
	return d.polled.total(time.Now())
}

// logDowntime reads the executor's starts and stops from every node's log.
func (d *Driver) logDowntime(ctx context.Context) (map[string]time.Duration, bool) {
	var wg sync.WaitGroup
	evs := make([][]opEvent, len(d.cfg.Nodes))
	oks := make([]bool, len(d.cfg.Nodes))
	now := time.Now()
	for i, n := range d.cfg.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := d.call(ctx, n, "grep", "-F", "(log_finished)", d.cfg.LogFile)
			if err != nil && len(out) == 0 && !strings.Contains(err.Error(), "exit status 1") {
				return // no log: grep exits 2; no line matches: 1
			}
			evs[i], oks[i] = parseExecLog(string(out), n, now, time.Local), true
		}()
	}
	wg.Wait()
	var all []opEvent
	for i := range evs {
		if !oks[i] {
			return nil, false
		}
		all = append(all, evs[i]...)
	}
	return downtimeFrom(all, d.started, now), true
}

// opEvent is a start or stop the executor finished.
type opEvent struct {
	At       time.Time
	Node     string
	Resource string
	Op       string // start or stop
	OK       bool
}

// execLine matches the executor's log of a finished start or stop:
//
//	Nov 29 18:09:29.932 n1 pacemaker-execd     [26543] (log_finished) 	info: rA start (call 14, PID 27718) exited with status 0 (execution time 90ms after being queued 3ms)
var execLine = regexp.MustCompile(`^([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d\.\d{3}) \S+ pacemaker-execd\s.*\(log_finished\)\s+\w+:\s+(\S+) (start|stop) \(call \d+.*\) exited with status (\d+)`)

// parseExecLog reads the starts and stops of a node's detail log. Its
// times carry no year: the one that puts them not after now.
func parseExecLog(log, node string, now time.Time, loc *time.Location) []opEvent {
	var out []opEvent
	for _, line := range strings.Split(log, "\n") {
		m := execLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var at time.Time
		var err error
		for _, layout := range []string{"Jan 02 15:04:05.000", "Jan _2 15:04:05.000"} {
			if at, err = time.ParseInLocation(layout, m[1], loc); err == nil {
				break
			}
		}
		if err != nil {
			continue
		}
		at = at.AddDate(now.Year(), 0, 0)
		if at.After(now.Add(24 * time.Hour)) {
			at = at.AddDate(-1, 0, 0)
		}
		rc, _ := strconv.Atoi(m[4])
		out = append(out, opEvent{At: at, Node: node, Resource: m[2], Op: m[3], OK: rc == 0})
	}
	return out
}

// downtimeFrom sums each resource's time running nowhere, from the end of
// the stop that left it so to the end of the next start, over the stretches
// that end after since (or have not ended by now).
func downtimeFrom(evs []opEvent, since, now time.Time) map[string]time.Duration {
	slices.SortStableFunc(evs, func(a, b opEvent) int { return a.At.Compare(b.At) })
	type state struct {
		on   map[string]bool
		down time.Time // when it last went down; zero while running or unknown
	}
	states := map[string]*state{}
	out := map[string]time.Duration{}
	for _, e := range evs {
		s := states[e.Resource]
		if s == nil {
			s = &state{on: map[string]bool{}}
			states[e.Resource] = s
		}
		if !e.OK {
			continue
		}
		switch e.Op {
		case "stop":
			delete(s.on, e.Node)
			if len(s.on) == 0 && s.down.IsZero() {
				s.down = e.At
			}
		case "start":
			if len(s.on) == 0 && !s.down.IsZero() && !e.At.Before(since) {
				out[e.Resource] += e.At.Sub(s.down)
			}
			s.on[e.Node] = true
			s.down = time.Time{}
		}
	}
	for r, s := range states {
		if !s.down.IsZero() && now.After(s.down) {
			out[r] += now.Sub(s.down)
		}
	}
	for r, dt := range out {
		if dt <= 0 {
			delete(out, r)
		}
	}
	return out
}

// pollDowntime measures downtime from the status reads: the fallback.
type pollDowntime struct {
	mu    sync.Mutex
	since map[string]time.Time
	sum   map[string]time.Duration
}

func newPollDowntime() *pollDowntime {
	return &pollDowntime{since: map[string]time.Time{}, sum: map[string]time.Duration{}}
}

func (p *pollDowntime) observe(rsc string, running bool, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, down := p.since[rsc]
	switch {
	case running && down:
		p.sum[rsc] += at.Sub(p.since[rsc])
		delete(p.since, rsc)
	case !running && !down:
		p.since[rsc] = at
	}
}

func (p *pollDowntime) total(now time.Time) map[string]time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Duration{}
	for r, d := range p.sum {
		out[r] = d
	}
	for r, s := range p.since {
		out[r] += now.Sub(s)
	}
	return out
}
