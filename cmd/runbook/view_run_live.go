package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/runbookhq/runbook/runtime"
)

// runLive is the run's view on a terminal: the event lines of runHuman,
// printed above a progress area redrawn in place (github.com/vbauerster/mpb)
// that says which step runs, on which node, what it waits for, how long it
// has taken against the plan's prediction, how many steps are done of all,
// and how much of the window is left. The area is drawn only on a terminal,
// without NO_COLOR and without --json; run.log gets the event lines alone.
type runLive struct {
	// pmu guards the progress area; mu the state it shows, which its
	// decorators read while it is drawn (so pmu is never taken under mu).
	pmu   sync.Mutex
	mu    sync.Mutex
	human *runHuman
	// term writes to the terminal only (the progress area's redraws), log
	// to run.log only; out is the run's stdout (both), for the summary.
	term, log, out io.Writer
	p              *mpb.Progress
	bars           []*mpb.Bar
	width          int
	fd             int // the terminal's, -1 if unknown

	now func() time.Time
	liveProgress
}

// liveProgress is where a run stands, as a live area shows it: a run's
// (run) or each cluster's of a fleet (fleet run). Its owner guards it.
type liveProgress struct {
	total    int               // steps of the runbook
	done     int               // done or skipped so far, this run and earlier ones
	nodes    map[string]string // step address: the node it acts on
	predict  map[string]time.Duration
	end      time.Time // end of the window, zero if none
	wall     bool      // the driver's clock is the wall clock
	last     time.Time // the driver's time at the last event or wait
	cur      string    // the step in flight
	curStart time.Time
	what     string // what it waits for, and what is still pending
	pending  string
}

// event takes in a run's event.
func (p *liveProgress) event(e runtime.Event) {
	if e.Time.After(p.last) {
		p.last = e.Time
	}
	if e.Type != runtime.EventStep {
		return
	}
	switch e.Status {
	case runtime.StatusStarted:
		p.cur, p.curStart, p.what, p.pending = e.Step, e.Time, "", ""
	case runtime.StatusDone, runtime.StatusSkipped:
		p.done++
		fallthrough
	default:
		if e.Step == p.cur {
			p.cur, p.what, p.pending = "", "", ""
		}
	}
}

// waiting takes in what the step in flight waits for, at the driver's time
// now.
func (p *liveProgress) waiting(step, what, pending string, now time.Time) {
	if now.After(p.last) {
		p.last = now
	}
	if step == p.cur {
		p.what, p.pending = what, pending
	}
}

// liveRun is what the live view needs to know of the run.
type liveRun struct {
	steps     []runtime.Step
	done      int // settled by earlier runs
	nodes     map[string]string
	predicted map[string]time.Duration
	end       time.Time
	// wall is set when the driver's clock is the wall clock (not the
	// simulator's virtual one): the area then ticks by itself.
	wall bool
}

func newRunLive(out io.Writer, width int, simulated bool, r liveRun) *runLive {
	if width <= 0 {
		width = 80
	}
	v := &runLive{out: out, term: out, log: io.Discard, width: width, fd: termFd(out),
		liveProgress: liveProgress{total: len(r.steps), done: r.done, nodes: r.nodes, predict: r.predicted, end: r.end, wall: r.wall}, now: time.Now}
	if o, ok := out.(*runOutput); ok {
		v.term, v.log = termOnly{o}, logOnly{o}
	}
	// Event lines go above the area, and to run.log.
	v.human = &runHuman{w: io.MultiWriter(writerFunc(v.above), v.log), color: true, simulated: simulated}
	v.start()
	return v
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// termOnly writes to the run's stream and not to run.log: a redraw of the
// progress area is no line of the run's log. Like runOutput, it never
// blocks.
type termOnly struct{ o *runOutput }

func (t termOnly) Write(p []byte) (int, error) {
	if !t.o.failed.Load() {
		t.o.q.put(t.o, p)
	}
	return len(p), nil
}

// logOnly writes to run.log only.
type logOnly struct{ o *runOutput }

func (l logOnly) Write(p []byte) (int, error) {
	if log := l.o.log.Load(); log != nil {
		log.Write(p)
	}
	return len(p), nil
}

// above prints p above the progress area, or as is while there is none (a
// prompt).
func (v *runLive) above(p []byte) (int, error) {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	if v.p == nil {
		return v.term.Write(p)
	}
	return v.p.Write(p)
}

// start draws the progress area.
func (v *runLive) start() {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	// The area is redrawn through the run's never-blocking stream; its size
	// is read from the terminal under it.
	cw := cupwriter.New(v.term, true)
	if v.fd >= 0 {
		cw.SetTermFd(v.fd)
	}
	v.p = mpb.New(mpb.WithConsoleWriter(cw), mpb.WithWidth(v.width), mpb.WithAutoRefresh(), mpb.WithRefreshRate(200*time.Millisecond))
	text := func(f func() string) *mpb.Bar {
		return v.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			v.mu.Lock()
			defer v.mu.Unlock()
			return clip(f(), v.width-1)
		})))
	}
	v.bars = []*mpb.Bar{text(v.stepLine), text(v.waitLine), text(v.countLine)}
}

// stop removes the progress area, after it printed what was written above
// it.
func (v *runLive) stop() {
	v.pmu.Lock()
	defer v.pmu.Unlock()
	if v.p == nil {
		return
	}
	for _, b := range v.bars {
		b.Abort(true)
	}
	v.p.Wait()
	v.p, v.bars = nil, nil
}

// clock is the driver's time now, as far as the view knows it.
func (v *runLive) clock() time.Time {
	if v.wall {
		return v.now()
	}
	return v.last
}

func (v *runLive) stepLine() string {
	if v.cur == "" {
		return "▶ between steps"
	}
	line := "▶ " + v.cur
	if n := v.nodes[v.cur]; n != "" {
		line += " on " + n
	}
	elapsed := max(v.clock().Sub(v.curStart), 0).Round(time.Second)
	line += "  " + runtime.FormatDuration(elapsed)
	if p, ok := v.predict[v.cur]; ok && p > 0 {
		line += " of " + runtime.FormatDuration(p) + " predicted"
		if elapsed > p {
			line += " (" + runtime.FormatDuration(elapsed-p) + " over)"
		}
	}
	return line
}

func (v *runLive) waitLine() string {
	switch {
	case v.cur == "":
		return ""
	case v.what == "":
		return "  working"
	case v.pending == "":
		return "  waiting for " + v.what
	}
	return "  waiting for " + v.what + ": " + v.pending
}

func (v *runLive) countLine() string {
	const cells = 20
	filled := 0
	if v.total > 0 {
		filled = cells * v.done / v.total
	}
	line := fmt.Sprintf("Steps %d of %d done [%s%s]", v.done, v.total, strings.Repeat("=", filled), strings.Repeat(" ", cells-filled))
	if !v.end.IsZero() {
		left := v.end.Sub(v.clock()).Round(time.Second)
		if left < 0 {
			left = 0
		}
		line += fmt.Sprintf("  window: %s left (ends %s)", runtime.FormatDuration(left), v.end.Format("15:04"))
	}
	return line
}

func (v *runLive) Event(e runtime.Event) {
	v.human.Event(e)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.event(e)
}

// Waiting is told what the step in flight waits for, at the driver's time
// now (runtime.Options.Waiting).
func (v *runLive) Waiting(step, what, pending string, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.waiting(step, what, pending, now)
}

func (v *runLive) Notice(msg string) {
	v.human.Notice(msg)
}

func (v *runLive) Report(path string) { v.human.Report(path) }

// Summary removes the progress area, then prints the summary as runHuman
// does.
func (v *runLive) Summary(res *runtime.Result) {
	v.stop()
	v.human.mu.Lock()
	v.human.w = v.out
	v.human.mu.Unlock()
	v.human.Summary(res)
}

// aroundPrompt takes the progress area away while the operator is asked,
// and draws it again after.
func (v *runLive) aroundPrompt(prompt func(context.Context, string) (bool, error)) func(context.Context, string) (bool, error) {
	if prompt == nil {
		return nil
	}
	return func(ctx context.Context, q string) (bool, error) {
		v.stop()
		defer v.start()
		return prompt(ctx, q)
	}
}

// runViewFor is the run's view: live on a terminal (stdout a terminal,
// NO_COLOR unset, no --json), otherwise the event lines of runView.
func (a *app) runViewFor(t viewType, simulated bool, rrb *runtime.Runbook, recs []runtime.Record, predicted map[string]time.Duration, end time.Time) runView {
	if t == viewJSON || !a.color {
		return a.runView(t, simulated)
	}
	r := liveRun{steps: rrb.Steps, nodes: map[string]string{}, predicted: predicted, end: end, wall: !simulated}
	last := runtime.StepStatuses(recs)
	for _, s := range rrb.Steps {
		r.nodes[s.Address] = stepNode(s.Args)
		if rec, ok := last[s.Address]; ok && runtime.Settled(rec) && rec.Status != runtime.StatusFailed {
			r.done++
		}
	}
	return newRunLive(a.stdout, termWidth(a.stdout), simulated, r)
}

// clip cuts s to n runes, so that a line of the area never wraps (a wrapped
// line would throw its redraw off).
func clip(s string, n int) string {
	r := []rune(s)
	if n < 1 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// termFd is the file descriptor of the terminal w writes to, -1 if none.
func termFd(w io.Writer) int {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return int(f.Fd())
	}
	return -1
}

// termWidth is the width of the terminal w writes to, 0 if unknown.
func termWidth(w io.Writer) int {
	if fd := termFd(w); fd >= 0 {
		if width, _, err := term.GetSize(fd); err == nil {
			return width
		}
	}
	return 0
}
