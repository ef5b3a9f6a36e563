package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"github.com/runbookhq/runbook/runtime"
)

// runView shows a run as it happens and its summary.
type runView interface {
	// Event shows one event.
	Event(e runtime.Event)
	// Notice shows a message of the command itself (a signal received).
	Notice(msg string)
	// Report gives the path of the report the run wrote, which the
	// summary names.
	Report(path string)
	// Summary shows how the run ended.
	Summary(res *runtime.Result)
}

func (a *app) runView(t viewType, simulated bool) runView {
	if t == viewJSON {
		return &runJSON{enc: json.NewEncoder(a.stdout)}
	}
	return &runHuman{w: a.stdout, color: a.color, simulated: simulated}
}

// runHuman prints one line per event: the time (virtual for the simulator),
// the step's address and what happened.
type runHuman struct {
	mu        sync.Mutex
	w         io.Writer
	color     bool
	simulated bool
	report    string
	line      []byte // plainEvent's buffer
}

const timeLayout = "15:04:05"

func (v *runHuman) Event(e runtime.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.color {
		v.plainEvent(e)
		return
	}
	// One write an event: the stream and run.log take whole lines, and a
	// run of thousands of steps does not cost a system call a word.
	var b bytes.Buffer
	w := &b
	defer func() { v.w.Write(b.Bytes()) }()
	faint := paint(v.color, color.Faint)
	faint.Fprint(w, e.Time.Format(timeLayout))
	fmt.Fprint(w, " ")
	if e.Step != "" {
		paint(v.color, color.Bold).Fprint(w, e.Step)
		fmt.Fprint(w, ": ")
	}
	msg := paint(v.color)
	switch {
	case e.Alarm:
		msg = paint(v.color, color.FgRed, color.Bold)
	case e.Type == runtime.EventStep && e.Status == runtime.StatusDone:
		msg = paint(v.color, color.FgGreen)
	case e.Type == runtime.EventStep && e.Status == runtime.StatusSkipped:
		msg = paint(v.color, color.Faint)
	case e.Type == runtime.EventWarning, e.Type == runtime.EventStop:
		msg = paint(v.color, color.FgYellow)
	case e.Type == runtime.EventChange:
		msg = paint(v.color, color.FgCyan)
	case e.Type == runtime.EventStart:
		msg = paint(v.color, color.Bold)
	}
	if e.Type == runtime.EventWarning {
		msg.Fprint(w, "warning: ")
	}
	msg.Fprint(w, e.Message)
	fmt.Fprintln(w)
	indent := strings.Repeat(" ", len(timeLayout)+1)
	for _, p := range e.Problems {
		fmt.Fprintf(w, "%s- %s\n", indent, p)
	}
	if e.Detail != "" {
		fmt.Fprintf(w, "%s%s\n", indent, e.Detail)
	}
}

// plainEvent writes what Event writes without colour, with no formatting
// to pay for a line: a simulated run prints hundreds of thousands.
func (v *runHuman) plainEvent(e runtime.Event) {
	const indent = "         " // len(timeLayout)+1
	b := appendClock(v.line[:0], e.Time)
	b = append(b, ' ')
	if e.Step != "" {
		b = append(b, e.Step...)
		b = append(b, ": "...)
	}
	if e.Type == runtime.EventWarning {
		b = append(b, "warning: "...)
	}
	b = append(b, e.Message...)
	b = append(b, '\n')
	for _, p := range e.Problems {
		b = append(b, indent+"- "...)
		b = append(b, p...)
		b = append(b, '\n')
	}
	if e.Detail != "" {
		b = append(b, indent...)
		b = append(b, e.Detail...)
		b = append(b, '\n')
	}
	v.line = b
	v.w.Write(b)
}

// appendClock appends t as t.Format(timeLayout) does, without reading the
// layout on each line.
func appendClock(b []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
}

func (v *runHuman) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	paint(v.color, color.FgYellow, color.Bold).Fprintln(v.w, msg)
}

// maxDowntimeLines bounds the downtime table of a large cluster; --json
// gives every resource.
const maxDowntimeLines = 20

func (v *runHuman) Summary(res *runtime.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w)
	counts := fmt.Sprintf("%s done", plural(res.Done, "step"))
	if res.Earlier > 0 {
		counts += fmt.Sprintf(" (and %d earlier)", res.Earlier)
	}
	counts += fmt.Sprintf(", %d skipped, %d failed", res.Skipped, res.Failed)
	if res.InDoubt > 0 {
		counts += fmt.Sprintf(", %d in doubt", res.InDoubt)
	}
	counts += fmt.Sprintf(", %d left", res.Left)
	took := runtime.FormatDuration(res.End.Sub(res.Start))
	if v.simulated {
		took += " simulated"
	}
	left := ""
	if res.Next != "" {
		left = fmt.Sprintf("%s left, from %s", plural(res.Left, "step"), res.Next)
		if res.LeftPredicted > 0 {
			left += fmt.Sprintf(", about %s by the plan", runtime.FormatDuration(res.LeftPredicted))
		}
	}
	where := "Stopped before " + res.Next
	if res.Last != "" {
		where = "Stopped after " + res.Last
	}
	green, red, yellow := paint(v.color, color.FgGreen, color.Bold), paint(v.color, color.FgRed, color.Bold), paint(v.color, color.FgYellow, color.Bold)
	switch res.Outcome {
	case runtime.OutcomeCompleted:
		green.Fprint(v.w, "Run complete:")
		fmt.Fprintf(v.w, " %s; %s.\n", counts, took)
	case runtime.OutcomeStopped:
		yellow.Fprint(v.w, where+":")
		fmt.Fprintf(v.w, " %s; %s.\n", counts, took)
		fmt.Fprintf(v.w, "%s. Resume with the same command.\n", upperFirst(left))
	case runtime.OutcomeInterrupted:
		yellow.Fprint(v.w, "Interrupted:")
		fmt.Fprintf(v.w, " %s. %s; %s.\n", res.Message, counts, took)
		fmt.Fprintf(v.w, "%s. Resume with the same command: it first settles the step in doubt by reading the cluster's status.\n", upperFirst(left))
	case runtime.OutcomeFailed:
		red.Fprint(v.w, "Run failed:")
		fmt.Fprintf(v.w, " %s. %s; %s.\n", res.Message, counts, took)
		fmt.Fprintf(v.w, "%s. Fix the cause, then run the same command to resume.\n", upperFirst(left))
	case runtime.OutcomeDrift:
		red.Fprint(v.w, "Nothing was done:")
		fmt.Fprintf(v.w, " %s.\n", strings.TrimSuffix(res.Message, "; nothing was done"))
	default:
		red.Fprint(v.w, "Error:")
		fmt.Fprintf(v.w, " %s.\n", res.Message)
	}
	v.downtime(res.Downtime)
	if v.report != "" {
		fmt.Fprintf(v.w, "Report: %s\n", v.report)
	}
}

func (v *runHuman) Report(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.report = path
}

func (v *runHuman) downtime(dt map[string]time.Duration) {
	names, more := shownDowntime(dt, maxDowntimeLines)
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(v.w, "Downtime per resource:")
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(v.w, "  %-*s  %s\n", width, n, runtime.FormatDuration(dt[n]))
	}
	if more > 0 {
		fmt.Fprintf(v.w, "  ... and %d more (the %d longest are shown; --json lists all)\n", more, maxDowntimeLines)
	}
}

// shownDowntime returns the names of the resources dt gives some downtime,
// sorted: of more than most, the most longest (of those as long, the
// first by name), and how many more there are. It sorts only the names it
// shows, not those of every resource of a large cluster.
func shownDowntime(dt map[string]time.Duration, most int) (names []string, more int) {
	var ds []time.Duration
	for _, d := range dt {
		if d > 0 {
			ds = append(ds, d)
		}
	}
	if len(ds) <= most {
		names = make([]string, 0, len(ds))
		for n, d := range dt {
			if d > 0 {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		return names, 0
	}
	// Those longer than the most-th longest are shown, and of those as
	// long as it, the first by name up to most.
	slices.Sort(ds)
	cut := ds[len(ds)-most]
	room := most
	for _, d := range ds[len(ds)-most:] {
		if d > cut {
			room--
		}
	}
	var tied []string // sorted, at most room
	names = make([]string, 0, most)
	for n, d := range dt {
		switch {
		case d > cut:
			names = append(names, n)
		case d == cut:
			if i, _ := slices.BinarySearch(tied, n); i < room {
				tied = slices.Insert(tied, i, n)
				tied = tied[:min(len(tied), room)]
			}
		}
	}
	names = append(names, tied...)
	slices.Sort(names)
	return names, len(ds) - most
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runJSON prints one JSON object per line: every event, then the summary.
type runJSON struct {
	mu     sync.Mutex
	enc    *json.Encoder
	report string
}

func (v *runJSON) Report(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.report = path
}

func (v *runJSON) Event(e runtime.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.enc.Encode(e)
}

func (v *runJSON) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	// A notice at a prompt starts on a line of its own on a terminal.
	v.enc.Encode(map[string]string{"type": "notice", "message": strings.TrimLeft(msg, "\n")})
}

// runSummaryJSON is the last line of `run --json`.
type runSummaryJSON struct {
	Type                 string             `json:"type"`
	OK                   bool               `json:"ok"`
	Outcome              string             `json:"outcome"`
	Message              string             `json:"message"`
	ExitCode             int                `json:"exit_code"`
	Steps                map[string]int     `json:"steps"`
	Last                 string             `json:"last,omitempty"`
	Next                 string             `json:"next,omitempty"`
	Start                time.Time          `json:"start"`
	End                  time.Time          `json:"end"`
	ElapsedSeconds       float64            `json:"elapsed_seconds"`
	LeftPredictedSeconds float64            `json:"left_predicted_seconds"`
	DowntimeSeconds      map[string]float64 `json:"downtime_seconds"`
	Offline              []string           `json:"offline,omitempty"`
	Report               string             `json:"report,omitempty"`
}

func (v *runJSON) Summary(res *runtime.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.enc.Encode(summaryJSON(res, v.report))
}

// summaryJSON is the summary object of a run that ended with res and wrote
// the report at report ("" if none).
func summaryJSON(res *runtime.Result, report string) runSummaryJSON {
	dt := map[string]float64{}
	for k, d := range res.Downtime {
		dt[k] = d.Seconds()
	}
	return runSummaryJSON{
		Type: "summary", OK: res.OK(), Outcome: res.Outcome, Message: res.Message, ExitCode: res.ExitCode(),
		Steps: map[string]int{"done": res.Done, "earlier": res.Earlier, "skipped": res.Skipped, "failed": res.Failed, "in_doubt": res.InDoubt, "left": res.Left},
		Last:  res.Last, Next: res.Next, Start: res.Start, End: res.End, ElapsedSeconds: res.End.Sub(res.Start).Seconds(),
		LeftPredictedSeconds: res.LeftPredicted.Seconds(), DowntimeSeconds: dt, Offline: res.Offline, Report: report,
	}
}

// notStartedJSON is what `run --json` prints for a run that did not start:
// a drift event for each difference, then the summary, whose outcome is
// "drift" when there are differences and "error" otherwise.
func notStartedJSON(w io.Writer, message string, diffs []string) {
	v := &runJSON{enc: json.NewEncoder(w)}
	now := time.Now()
	res := &runtime.Result{Outcome: runtime.OutcomeError, Message: message, Start: now, End: now}
	if len(diffs) > 0 {
		res.Outcome = runtime.OutcomeDrift
		for _, d := range diffs {
			v.Event(runtime.Event{Type: runtime.EventDrift, Time: now, Message: d, Alarm: true})
		}
	}
	v.Summary(res)
}
