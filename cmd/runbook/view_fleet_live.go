package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/runbookhq/runbook/runtime"
)

// fleetLive is fleet run's view on a terminal: the event lines of
// fleetHuman, each prefixed with its cluster, printed above a progress area
// redrawn in place (github.com/vbauerster/mpb, as run's) with a line per
// cluster rolling (its step in flight on its node, elapsed against the
// plan, what it waits for) and the fleet's line (done, rolling, failed and
// waiting of all; the window left). The area is drawn only on a terminal,
// without NO_COLOR and without --json; each cluster's run.log gets its event
// lines alone.
type fleetLive struct {
	*fleetHuman
	// pmu guards the area (p, its bars); mu what it shows, which its
	// decorators read while it is drawn (so pmu is never taken under mu).
	pmu sync.Mutex
	mu  sync.Mutex
	// askMu lets one cluster at a time take the area away to ask.
	askMu sync.Mutex
	term  io.Writer // the terminal: the fleet's stdout
	width int
	fd    int
	p     *mpb.Progress
	bar   *mpb.Bar // the fleet's line
	// asking is set while a cluster asks the operator: the area stays away.
	asking bool
	// sinks are the fleet's stdout (and stderr, on the same terminal):
	// while the area is drawn, what they write goes above it.
	sinks []*lineSink
	plain []io.Writer

	total    int
	standing map[*fleetCluster]string
	rolling  []*fleetLiveCluster // in the order they started
	seq      int
	// held say which slots commands that outlived their runners hold.
	held []string
}

// fleetLiveCluster is a cluster's run as the fleet's area shows it.
type fleetLiveCluster struct {
	*runHuman
	v    *fleetLive
	name string
	c    *fleetCluster
	seq  int
	bar  *mpb.Bar // guarded by v.pmu

	// Guarded by v.mu.
	liveProgress
}

func newFleetLive(h *fleetHuman, total int, term io.Writer, sinks ...*lineSink) *fleetLive {
	v := &fleetLive{fleetHuman: h, term: term, width: termWidth(term), fd: termFd(term), total: total, standing: map[*fleetCluster]string{}}
	if v.width <= 0 {
		v.width = 80
	}
	for _, s := range sinks {
		v.sinks = append(v.sinks, s)
		v.plain = append(v.plain, s.w)
	}
	return v
}

// above prints p above the area, or as is while there is none.
func (v *fleetLive) above(p []byte) (int, error) {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	if v.p == nil {
		return v.term.Write(p)
	}
	return v.p.Write(p)
}

// start draws the area, if it is not drawn and no cluster is asking.
func (v *fleetLive) start() {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	if v.p != nil || v.asking {
		return
	}
	cw := cupwriter.New(v.term, true)
	if v.fd >= 0 {
		cw.SetTermFd(v.fd)
	}
	v.p = mpb.New(mpb.WithConsoleWriter(cw), mpb.WithWidth(v.width), mpb.WithAutoRefresh(), mpb.WithRefreshRate(200*time.Millisecond))
	v.bar = v.line(math.MaxInt, v.fleetLine)
	v.mu.Lock()
	rolling := append([]*fleetLiveCluster(nil), v.rolling...)
	v.mu.Unlock()
	for _, lc := range rolling {
		lc.bar = v.line(lc.seq, lc.line)
	}
	for _, s := range v.sinks {
		s.mu.Lock()
		s.w = writerFunc(v.above)
		s.mu.Unlock()
	}
}

// line adds a line to the area (under pmu): lines are in the order of
// their priority, the fleet's last.
func (v *fleetLive) line(priority int, f func() string) *mpb.Bar {
	return v.p.New(0, mpb.NopStyle(), mpb.BarPriority(priority), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		v.mu.Lock()
		defer v.mu.Unlock()
		return clip(f(), v.width-1)
	})))
}

// stop removes the area, after it printed what was written above it; the
// sinks write to the terminal again.
func (v *fleetLive) stop() {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	if v.p == nil {
		return
	}
	for i, s := range v.sinks {
		s.mu.Lock()
		s.w = v.plain[i]
		s.mu.Unlock()
	}
	v.mu.Lock()
	rolling := append([]*fleetLiveCluster(nil), v.rolling...)
	v.mu.Unlock()
	for _, lc := range rolling {
		if lc.bar != nil {
			lc.bar.Abort(true)
			lc.bar = nil
		}
	}
	v.bar.Abort(true)
	v.p.Wait()
	v.p, v.bar = nil, nil
}

// fleetLine is the fleet's line: where the clusters stand, and the window
// left to the rolling cluster that has the least of it (each on its
// driver's clock).
func (v *fleetLive) fleetLine() string {
	var done, rolling, failed int
	for _, s := range v.standing {
		switch s {
		case fleetDone:
			done++
		case standRolling:
			rolling++
		case fleetFailed:
			failed++
		}
	}
	line := fmt.Sprintf("Fleet: %d done, %d rolling, %d failed, %d waiting of %d", done, rolling, failed, v.total-done-rolling-failed, v.total)
	var end time.Time
	left := time.Duration(-1)
	for _, lc := range v.rolling {
		if lc.end.IsZero() {
			continue
		}
		if l := lc.end.Sub(lc.clock()); left < 0 || l < left {
			left, end = l, lc.end
		}
	}
	if !end.IsZero() {
		line += fmt.Sprintf("  window: %s left (ends %s)", runtime.FormatDuration(max(left, 0).Round(time.Second)), end.Format("15:04"))
	}
	if len(v.held) > 0 {
		line += "  " + strings.Join(v.held, "; ")
	}
	return line
}

// SlotsHeld shows, on the fleet's line, the slots that commands which
// outlived their runners hold (each short): the fleet waits for them.
func (v *fleetLive) SlotsHeld(held []string) {
	if len(held) > 0 {
		v.start()
	}
	v.mu.Lock()
	v.held = held
	v.mu.Unlock()
}

// stand records where a cluster stands (the fleet's dispatcher tells it):
// rolling, or how it ended; a cluster that ended leaves the area.
func (v *fleetLive) stand(c *fleetCluster, state string) {
	if state == standRolling {
		v.start()
	}
	v.mu.Lock()
	if state == "" {
		delete(v.standing, c)
	} else {
		v.standing[c] = state
	}
	var gone *fleetLiveCluster
	if state != standRolling {
		for i, lc := range v.rolling {
			if lc.c == c {
				gone = lc
				v.rolling = append(v.rolling[:i:i], v.rolling[i+1:]...)
				break
			}
		}
	}
	v.mu.Unlock()
	if gone != nil {
		v.pmu.Lock()
		if gone.bar != nil {
			gone.bar.Abort(true)
			gone.bar = nil
		}
		v.pmu.Unlock()
	}
}

func (v *fleetLive) Invalid(c *fleetCluster, _ hcl.Diagnostics) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.standing[c] = fleetFailed
}

// ClusterView is the view of a cluster's run: its event lines as
// fleetHuman's, and its line in the area.
func (v *fleetLive) ClusterView(c *fleetCluster, w io.Writer) runView {
	lc := &fleetLiveCluster{runHuman: &runHuman{w: w, color: v.color, simulated: c.simulated()}, v: v, name: c.Name, c: c,
		liveProgress: liveProgress{total: len(c.rrb.Steps), wall: !c.simulated()}}
	v.start()
	v.mu.Lock()
	v.seq++
	lc.seq = v.seq
	v.rolling = append(v.rolling, lc)
	v.mu.Unlock()
	v.pmu.Lock()
	if v.p != nil {
		lc.bar = v.line(lc.seq, lc.line)
	}
	v.pmu.Unlock()
	return lc
}

func (v *fleetLive) Summary(f *fleetRunner) int {
	v.stop()
	return v.fleetHuman.Summary(f)
}

// aroundPrompt takes the area away while the operator is asked, and draws
// it again after.
func (v *fleetLive) aroundPrompt(prompt func(context.Context, string) (bool, error)) func(context.Context, string) (bool, error) {
	if prompt == nil {
		return nil
	}
	return func(ctx context.Context, q string) (bool, error) {
		v.askMu.Lock()
		defer v.askMu.Unlock()
		v.stop()
		v.setAsking(true)
		defer func() {
			v.setAsking(false)
			v.start()
		}()
		return prompt(ctx, q)
	}
}

// begin is told, before the cluster's run starts, its plan's prediction,
// its window's end and its journal so far.
func (lc *fleetLiveCluster) begin(recs []runtime.Record, predicted map[string]time.Duration, end time.Time) {
	lc.v.mu.Lock()
	defer lc.v.mu.Unlock()
	lc.nodes, lc.predict, lc.end = map[string]string{}, predicted, end
	last := runtime.StepStatuses(recs)
	for _, s := range lc.c.rrb.Steps {
		lc.nodes[s.Address] = stepNode(s.Args)
		if rec, ok := last[s.Address]; ok && runtime.Settled(rec) && rec.Status != runtime.StatusFailed {
			lc.done++
		}
	}
}

// clock is the cluster's driver's time now, as far as the view knows it.
func (lc *fleetLiveCluster) clock() time.Time {
	if lc.wall {
		return time.Now()
	}
	return lc.last
}

// line is the cluster's line in the area.
func (lc *fleetLiveCluster) line() string {
	line := fmt.Sprintf("▶ %s [%d/%d] ", lc.name, lc.done, lc.total)
	if lc.cur == "" {
		return line + "between steps"
	}
	line += lc.cur
	if n := lc.nodes[lc.cur]; n != "" {
		line += " on " + n
	}
	elapsed := max(lc.clock().Sub(lc.curStart), 0).Round(time.Second)
	line += "  " + runtime.FormatDuration(elapsed)
	if p, ok := lc.predict[lc.cur]; ok && p > 0 {
		line += " of " + runtime.FormatDuration(p)
		if elapsed > p {
			line += " (" + runtime.FormatDuration(elapsed-p) + " over)"
		}
	}
	switch {
	case lc.what == "":
		line += "  working"
	case lc.pending == "":
		line += "  waiting for " + lc.what
	default:
		line += "  waiting for " + lc.what + ": " + lc.pending
	}
	return line
}

func (lc *fleetLiveCluster) Event(e runtime.Event) {
	lc.runHuman.Event(e)
	lc.v.mu.Lock()
	defer lc.v.mu.Unlock()
	lc.event(e)
}

// Waiting is told what the step in flight waits for
// (runtime.Options.Waiting).
func (lc *fleetLiveCluster) Waiting(step, what, pending string, now time.Time) {
	lc.v.mu.Lock()
	defer lc.v.mu.Unlock()
	lc.waiting(step, what, pending, now)
}

// stand tells a live view where a cluster stands; other views need not
// know.
func (f *fleetRunner) stand(c *fleetCluster, state string) {
	if v, ok := f.view.(*fleetLive); ok {
		v.stand(c, state)
	}
}

// liveCluster gives a cluster's run, when the fleet is shown live, what
// its line in the area needs, and wraps its prompt so that the area is
// away while the operator is asked; otherwise it returns the prompt as is.
func liveCluster(view runView, recs []runtime.Record, predicted map[string]time.Duration, end time.Time,
	prompt func(context.Context, string) (bool, error)) (func(context.Context, string) (bool, error), func(step, what, pending string, now time.Time)) {
	lc, ok := view.(*fleetLiveCluster)
	if !ok {
		return prompt, nil
	}
	lc.begin(recs, predicted, end)
	return lc.v.aroundPrompt(prompt), lc.Waiting
}

func (v *fleetLive) setAsking(on bool) {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	v.asking = on
}
