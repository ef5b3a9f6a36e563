package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/runbookhq/runbook/internal/atomicfile"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
)

// writeReportJSON prints the report's data as one indented JSON object.
func writeReportJSON(w io.Writer, rep *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeReportHTML writes the report as one self-contained HTML page.
func writeReportHTML(path string, mode os.FileMode, rep *report.Report) error {
	return atomicfile.Write(path, mode, false, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := renderReport(bw, rep); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// putReportHTML renders the report into the state store: written to it as
// it is made when the store can (a state directory), else made whole first.
func putReportHTML(to interface{ Put(string, []byte) error }, rep *report.Report) error {
	return runtime.PutBlob(to, runtime.ReportBlob, reportSizeHint(rep), func(w io.Writer) error { return renderReport(w, rep) })
}

// renderReport writes the page. The template writes all but the long parts
// (the timeline, and a row per resource, step and operation: thousands for
// a large cluster), which are written straight to w where the template left
// a marker for them, every value escaped: the template is several times
// slower, and a page of tens of megabytes is never held whole twice.
// reportSizeHint is about the size of the report's page, a little more
// rather than less: the page's buffer is made once.
func reportSizeHint(rep *report.Report) int {
	n := 12 << 10
	for _, lanes := range [][]report.Lane{rep.Nodes, rep.Resources} {
		for _, l := range lanes {
			n += 110 + 4*len(l.Name) + 220*len(l.Actual) + 150*len(l.Predicted) + 130*len(l.Moves)
		}
	}
	for _, s := range rep.Steps {
		n += 180 + 3*len(s.Address) + 330*len(s.Attempts)
	}
	for _, d := range rep.Downtime {
		n += 150 + 100*len(d.Outages)
	}
	for _, o := range rep.Operations {
		n += 150 + len(o.Step) + len(o.Op) + len(o.Error)
	}
	return n
}

func renderReport(w io.Writer, rep *report.Report) error {
	var page bytes.Buffer
	if err := reportPage.Execute(&page, reportPageData{Report: rep, Timeline: markTimeline,
		DowntimeRows: markDowntimeRows, StepRows: markStepRows, OperationRows: markOperationRows}); err != nil {
		return err
	}
	out := &htmlWriter{w: w, b: make([]byte, 0, 1<<16)}
	rest := page.String()
	for _, part := range []struct {
		marker template.HTML
		write  func(*htmlWriter, *report.Report)
	}{{markTimeline, timelineSVG}, {markDowntimeRows, downtimeRows}, {markStepRows, stepRows}, {markOperationRows, operationRows}} {
		before, after, ok := strings.Cut(rest, string(part.marker))
		if !ok {
			continue // in a branch the template did not take
		}
		out.str(before)
		part.write(out, rep)
		rest = after
	}
	out.str(rest)
	return out.flush()
}

// The markers of the long parts in the template's output: no value the
// template writes can hold one, since it escapes each "<".
const (
	markTimeline      template.HTML = "<\x00timeline>"
	markDowntimeRows  template.HTML = "<\x00downtime-rows>"
	markStepRows      template.HTML = "<\x00step-rows>"
	markOperationRows template.HTML = "<\x00operation-rows>"
)

// reportPageData is the page's data; the long parts are markers
// (renderReport).
type reportPageData struct {
	*report.Report
	Timeline                              template.HTML
	DowntimeRows, StepRows, OperationRows template.HTML
}

// htmlWriter writes HTML to w through a buffer of its own, by appending:
// the report's long parts, without fmt's cost per value.
type htmlWriter struct {
	w   io.Writer
	b   []byte
	err error
}

// spill writes the buffer out once it is full.
func (h *htmlWriter) spill() {
	if len(h.b) >= 1<<16 {
		h.flush()
	}
}

func (h *htmlWriter) flush() error {
	if h.err == nil && len(h.b) > 0 {
		_, h.err = h.w.Write(h.b)
	}
	h.b = h.b[:0]
	return h.err
}

// str writes s as it is.
func (h *htmlWriter) str(s string) { h.b = append(h.b, s...) }

// esc writes s escaped as html.EscapeString does.
func (h *htmlWriter) esc(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var r string
		switch s[i] {
		case '<':
			r = "&lt;"
		case '>':
			r = "&gt;"
		case '&':
			r = "&amp;"
		case '\'':
			r = "&#39;"
		case '"':
			r = "&#34;"
		default:
			continue
		}
		h.b = append(h.b, s[last:i]...)
		h.b = append(h.b, r...)
		last = i + 1
	}
	h.b = append(h.b, s[last:]...)
}

// int writes n as %d does.
func (h *htmlWriter) int(n int) { h.b = strconv.AppendInt(h.b, int64(n), 10) }

// f1 writes f as %.1f does.
func (h *htmlWriter) f1(f float64) { h.b = strconv.AppendFloat(h.b, f, 'f', 1, 64) }

// num writes f as num does.
func (h *htmlWriter) num(f float64) { h.b = strconv.AppendFloat(h.b, f, 'g', -1, 64) }

// time writes t in layout.
func (h *htmlWriter) time(t time.Time, layout string) { h.b = t.AppendFormat(h.b, layout) }

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func downtimeRows(h *htmlWriter, rep *report.Report) {
	for _, d := range rep.Downtime {
		h.str(`<tr class="downtime" data-resource="`)
		h.esc(d.Resource)
		h.str(`"><td>`)
		h.esc(d.Resource)
		h.str(`</td><td class="num predicted" data-seconds="`)
		h.num(d.PredictedSeconds)
		h.str(`">`)
		h.str(fmtSeconds(d.PredictedSeconds))
		h.str(`</td><td class="num measured" data-seconds="`)
		h.num(d.MeasuredSeconds)
		h.str(`">`)
		h.str(fmtSeconds(d.MeasuredSeconds))
		h.str(`</td>`)
		if rep.Probe != nil {
			if d.ProbeSeconds == nil {
				h.str(`<td class="num probe">not measured</td>`)
			} else {
				h.str(`<td class="num probe" data-seconds="`)
				h.num(*d.ProbeSeconds)
				h.str(`">`)
				h.str(fmtSeconds(*d.ProbeSeconds))
				h.str(`</td>`)
			}
		}
		h.str("<td>")
		if len(d.Outages) == 0 {
			h.str("none")
		} else {
			h.str(`<ul class="outages">`)
			for _, o := range d.Outages {
				h.str("<li>")
				h.time(o.Start, "15:04:05")
				h.str("–")
				h.time(o.End, "15:04:05")
				h.str(" <b>")
				h.str(fmtSeconds(o.Seconds))
				h.str("</b>")
				if o.Open {
					h.str(" (still down)")
				}
				h.str(": ")
				h.esc(o.Reason)
				h.str("</li>")
			}
			h.str("</ul>")
		}
		h.str("</td></tr>\n")
		h.spill()
	}
}

func stepRows(h *htmlWriter, rep *report.Report) {
	for _, s := range rep.Steps {
		h.str(`<tr><td class="mono">`)
		h.esc(s.Address)
		h.str(`</td><td>`)
		h.esc(s.Node)
		h.str(`</td><td class="st-`)
		h.esc(s.Status)
		h.str(`">`)
		h.esc(s.Status)
		h.str(`</td><td class="num">`)
		if len(s.Attempts) > 0 {
			h.str(fmtSeconds(s.Seconds))
		}
		h.str(`</td><td class="num">`)
		if s.PredictedSeconds != nil {
			h.str(fmtSeconds(*s.PredictedSeconds))
		}
		h.str(`</td><td>`)
		for _, a := range s.Attempts {
			h.str("<div>")
			h.time(a.Start, timeLayoutReport)
			h.str(`: <span class="st-`)
			h.esc(a.Status)
			h.str(`">`)
			h.esc(a.Status)
			h.str(`</span> after `)
			h.str(fmtSeconds(a.Seconds))
			if a.Error != "" {
				h.str(" — ")
				h.esc(a.Error)
			}
			h.str("</div>")
		}
		h.str("</td></tr>\n")
		h.spill()
	}
}

func operationRows(h *htmlWriter, rep *report.Report) {
	for _, o := range rep.Operations {
		h.str("<tr><td>")
		h.time(o.Time, timeLayoutReport)
		h.str(`</td><td class="mono">`)
		h.esc(o.Step)
		h.str(`</td><td class="mono">`)
		h.esc(o.Op)
		h.str(`</td><td class="st-`)
		h.esc(o.Outcome)
		h.str(`">`)
		h.esc(o.Outcome)
		if o.Error != "" {
			h.str(": ")
			h.esc(o.Error)
		}
		h.str(`</td><td class="num">`)
		switch {
		case o.Seconds != nil:
			h.str(fmtSeconds(*o.Seconds))
		case o.SecondsAtMost != nil:
			h.str("≤ ")
			h.str(fmtSeconds(*o.SecondsAtMost))
		}
		h.str(`</td><td>`)
		if o.ExitStatus != nil {
			h.int(*o.ExitStatus)
		} else {
			h.str("–")
		}
		h.str("</td></tr>\n")
		h.spill()
	}
}

func fmtSeconds(s float64) string {
	return runtime.FormatDuration(time.Duration(s * float64(time.Second)))
}

// timeLayoutReport is how the report's tables write a time.
const timeLayoutReport = "2006-01-02 15:04:05 MST"

func fmtTime(t time.Time) string { return t.Format(timeLayoutReport) }

var reportFuncs = template.FuncMap{
	"dur": fmtSeconds,
	"durp": func(s *float64) string {
		if s == nil {
			return ""
		}
		return fmtSeconds(*s)
	},
	"time": fmtTime,
	"timep": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return fmtTime(*t)
	},
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
	"exit": func(p *int) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprint(*p)
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}

var reportPage = template.Must(template.New("report").Funcs(reportFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Report: {{.Runbook.Name}}</title>
<style>
body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid #eaeef2; }
th { color: #57606a; font-weight: 600; }
td.num, th.num { text-align: right; }
code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
.meta td:first-child { color: #57606a; padding-right: 16px; }
.outcome { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.outcome-completed { background: #2da44e; } .outcome-stopped, .outcome-running { background: #bf8700; }
.outcome-failed, .outcome-error, .outcome-drift, .outcome-killed, .outcome-interrupted { background: #cf222e; }
.outcome-not-run { background: #6e7781; }
.st-done { color: #1a7f37; } .st-failed, .st-in-doubt { color: #cf222e; } .st-interrupted, .st-stopped { color: #9a6700; } .st-pending, .st-skipped { color: #6e7781; }
.timeline { overflow-x: auto; border: 1px solid #d0d7de; padding: 4px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; }
ul.outages { margin: 0; padding-left: 16px; } ul.outages li { font-size: 13px; }
.note { color: #57606a; font-size: 13px; }
</style>
</head>
<body>
<h1>{{.Runbook.Name}}{{if .Runbook.Version}} <span class="mono">v{{.Runbook.Version}}</span>{{end}} <span class="outcome outcome-{{.Outcome}}" id="outcome">{{.Outcome}}</span></h1>
{{if .Runbook.Description}}<p>{{.Runbook.Description}}</p>{{end}}
<table class="meta">
<tr><td>Runbook</td><td><b id="runbook-name">{{.Runbook.Name}}</b>{{if .Runbook.Version}}, version {{.Runbook.Version}}{{end}}</td></tr>
<tr><td>SHA-256 of its text</td><td class="mono" id="runbook-sha256">{{.Runbook.SHA256}}{{if .Runbook.Changed}} (the runbook's text has changed since){{end}}</td></tr>
<tr><td>Cluster</td><td id="cluster">{{.Cluster}}</td></tr>
<tr><td>Driver</td><td id="driver">{{.Driver}}</td></tr>
<tr><td>State</td><td class="mono">{{.StateDir}}</td></tr>
<tr><td>Outcome</td><td>{{.Outcome}}{{if .Message}}: {{.Message}}{{end}}</td></tr>
{{if .Start}}<tr><td>From</td><td>{{timep .Start}} to {{timep .End}}</td></tr>{{end}}
<tr><td>Time</td><td><span id="elapsed">{{dur .ElapsedSeconds}}</span> running{{if .Predicted}}, the plan predicts <span id="predicted">{{dur .PredictedSeconds}}</span>{{end}}</td></tr>
<tr><td>Steps</td><td id="steps-done">{{.StepsDone}} of {{.StepsTotal}} done or skipped</td></tr>
</table>

<h2>Timeline</h2>
<div class="legend">
<span><i style="background:#2da44e"></i>node up (its version)</span>
<span><i style="background:#d4a72c"></i>leaving / moving</span>
<span><i style="background:#0969da"></i>upgrading / media upgrade</span>
<span><i style="background:#8250df"></i>rejoining</span>
<span><i style="background:#cf222e"></i>down / offline</span>
<span><i style="background:#9aa5b1"></i>running (colour of its node)</span>
<span>thin bar: the plan</span>
<span><i style="background:#8250df;width:3px"></i>approval</span>
<span><i style="background:#bf8700;width:3px"></i>stop</span>
<span><i style="background:#cf222e;width:3px"></i>failure</span>
<span><i style="background:#0969da;width:3px"></i>resume (dashed)</span>
</div>
<div class="timeline">{{.Timeline}}</div>

<h2>Downtime per resource</h2>
<table id="downtime">
<tr><th>Resource</th><th class="num">Predicted</th><th class="num">Measured</th>{{if .Probe}}<th class="num" title="{{.Probe.Source}}">Probe</th>{{end}}<th>Outages (measured)</th></tr>
{{.DowntimeRows}}</table>
{{if .Probe}}<p class="probe-source">Probe: the downtime measured outside runbook, by {{.Probe.Source}}.</p>
{{end}}
<h2>Runs</h2>
<table id="runs">
<tr><th>Started</th><th>Ended</th><th>Run by</th><th>Confirmed</th><th>Outcome</th><th>Command</th><th>Runbook</th></tr>
{{range .Runs}}<tr><td>{{time .Start}}</td><td>{{time .End}}</td><td class="run-by">{{.User}}{{if .Host}}@{{.Host}}{{end}}</td><td>{{.Confirmation}}{{if .Confirmed}} at {{timep .Confirmed}}{{end}}</td><td class="st-{{.Outcome}}">{{.Outcome}}{{if .Message}}: {{.Message}}{{end}}</td><td class="mono">{{.Command}}</td><td class="mono">{{if .RunbookVersion}}v{{.RunbookVersion}} {{end}}{{short .SHA256}}</td></tr>
{{end}}</table>

<h2>Approvals and stops</h2>
{{if .Marks}}<table id="marks">
<tr><th>Time</th><th>What</th><th>Step</th><th></th></tr>
{{range .Marks}}<tr class="mark mark-{{.Kind}}"><td>{{time .Time}}</td><td>{{.Kind}}</td><td class="mono">{{.Step}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{else}}<p class="note">None.</p>{{end}}

<h2>Steps</h2>
<table id="steps">
<tr><th>Step</th><th>Node</th><th>Status</th><th class="num">Took</th><th class="num">Predicted</th><th>Attempts</th></tr>
{{.StepRows}}</table>

<h2>Operations</h2>
{{if .Operations}}<table id="operations">
<tr><th>Issued</th><th>Step</th><th>Operation</th><th>Outcome</th><th class="num">Took</th><th>Exit status</th></tr>
{{.OperationRows}}</table>{{else}}<p class="note">None.</p>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
</body>
</html>
`))

// The timeline's geometry.
const (
	tlLabel   = 190  // width of the lane names
	tlWidth   = 1000 // width of the time axis
	tlRight   = 20
	tlBreak   = 28 // width of a cut gap between runs
	tlLane    = 16 // height of a lane's actual bar
	tlPlan    = 5  // height of its predicted bar
	tlGap     = 6
	tlHeader  = 34
	tlSection = 22
)

// axis maps times to x: linear over the spans runs (and the plan) cover;
// the long gaps between them (a run resumed days later) are cut to a
// fixed width.
type axis struct {
	spans []axisSpan
}

type axisSpan struct {
	start, end time.Time
	x0, x1     float64
}

func newAxis(rep *report.Report) *axis {
	type iv struct{ s, e time.Time }
	var ivs []iv
	for _, r := range rep.Runs {
		ivs = append(ivs, iv{r.Start, r.End})
	}
	if rep.Predicted != nil {
		ivs = append(ivs, iv{rep.Predicted.Start, rep.Predicted.End})
	}
	if len(ivs) == 0 {
		now := time.Unix(0, 0)
		ivs = append(ivs, iv{now, now.Add(time.Hour)})
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].s.Before(ivs[j].s) })
	var total time.Duration
	merged := []iv{ivs[0]}
	for _, v := range ivs[1:] {
		last := &merged[len(merged)-1]
		if !v.s.After(last.e) {
			if v.e.After(last.e) {
				last.e = v.e
			}
			continue
		}
		merged = append(merged, v)
	}
	for _, v := range merged {
		total += v.e.Sub(v.s)
	}
	// A gap shorter than a tenth of the time covered is drawn to scale.
	var cut []iv
	for _, v := range merged {
		if n := len(cut); n > 0 && v.s.Sub(cut[n-1].e) < total/10 {
			total += v.s.Sub(cut[n-1].e)
			cut[n-1].e = v.e
			continue
		}
		cut = append(cut, v)
	}
	if total <= 0 {
		total = time.Minute
	}
	width := float64(tlWidth - tlBreak*(len(cut)-1))
	a := &axis{}
	x := float64(tlLabel)
	for i, v := range cut {
		if i > 0 {
			x += tlBreak
		}
		w := width * float64(v.e.Sub(v.s)) / float64(total)
		a.spans = append(a.spans, axisSpan{start: v.s, end: v.e, x0: x, x1: x + w})
		x += w
	}
	return a
}

func (a *axis) x(t time.Time) float64 {
	for i, s := range a.spans {
		if t.Before(s.start) {
			if i == 0 {
				return s.x0
			}
			return s.x0 - tlBreak/2
		}
		if !t.After(s.end) {
			if !s.end.After(s.start) {
				return s.x0
			}
			return s.x0 + (s.x1-s.x0)*float64(t.Sub(s.start))/float64(s.end.Sub(s.start))
		}
	}
	return a.spans[len(a.spans)-1].x1
}

var nodePalette = []string{"#6e9fd8", "#e6a26a", "#7cc08a", "#c98fc4", "#d6c35c", "#6cc3c0", "#e08d8d", "#a3a3d9", "#b7b36b", "#8fb8a0"}

var stateColor = map[string]string{
	report.NodeUp: "#2da44e", report.NodeLeaving: "#d4a72c", report.NodeUpgrading: "#0969da", report.NodeRejoining: "#8250df",
	report.NodeDown: "#cf222e", report.NodeGone: "#24292f",
	report.ResourceMoving: "#d4a72c", "offline": "#cf222e", "upgrade": "#0969da", "comatose": "#82071e",
	"done": "#2da44e", "failed": "#cf222e", "in-doubt": "#fb8500", "interrupted": "#bf8700", "stopped": "#bf8700", "skipped": "#9aa5b1",
}

var markColor = map[string]string{
	report.MarkApproval: "#8250df", report.MarkStop: "#bf8700", report.MarkFailure: "#cf222e", report.MarkInterrupt: "#fb8500",
	report.MarkResume: "#0969da", report.MarkKilled: "#cf222e",
}

func esc(s string) string { return html.EscapeString(s) }

// timelineSVG draws the timeline: the steps, one lane per node and per
// resource, actual (thick) over predicted (thin), and the marks.
func timelineSVG(h *htmlWriter, rep *report.Report) {
	ax := newAxis(rep)
	nodeColor := map[string]string{}
	for i, n := range rep.Nodes {
		nodeColor[n.Name] = nodePalette[i%len(nodePalette)]
	}
	lanes := 2 + len(rep.Nodes) + len(rep.Resources)
	laneH := tlLane + tlPlan + tlGap
	height := tlHeader + 3*tlSection + lanes*laneH + 10
	width := tlLabel + tlWidth + tlRight
	h.b = fmt.Appendf(h.b, `<svg xmlns="http://www.w3.org/2000/svg" id="timeline-svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`, width, height, width, height)
	h.str(`<rect width="100%" height="100%" fill="#fff"/>`)

	// The time axis: ticks per span, and a zigzag at each cut.
	for i, s := range ax.spans {
		if i > 0 {
			x := s.x0 - tlBreak/2
			h.b = fmt.Appendf(h.b, `<g class="cut"><title>%s not shown</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#8c959f" stroke-dasharray="3,3"/><text x="%.1f" y="%d" text-anchor="middle" fill="#57606a">⋯</text></g>`,
				esc(runtime.FormatDuration(s.start.Sub(ax.spans[i-1].end))), x, tlHeader-6, x, height-4, x, tlHeader-20)
		}
		step := tickStep(s.end.Sub(s.start), s.x1-s.x0)
		t0 := s.start.Truncate(step)
		if t0.Before(s.start) {
			t0 = t0.Add(step)
		}
		layout := "15:04"
		if step >= 24*time.Hour {
			layout = "Jan 2"
		}
		for t := t0; !t.After(s.end); t = t.Add(step) {
			x := ax.x(t)
			h.b = fmt.Appendf(h.b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eaeef2"/><text x="%.1f" y="%d" text-anchor="middle" fill="#57606a">%s</text>`,
				x, tlHeader-6, x, height-4, x, tlHeader-12, t.Format(layout))
		}
	}
	if len(ax.spans) > 0 {
		h.b = fmt.Appendf(h.b, `<text x="4" y="%d" fill="#57606a">%s</text>`, tlHeader-12, esc(ax.spans[0].start.Format("Mon 2 Jan 2006")))
	}

	y := tlHeader
	section := func(title string) {
		h.b = fmt.Appendf(h.b, `<text x="4" y="%d" font-weight="bold" font-size="12">%s</text>`, y+15, esc(title))
		y += tlSection
	}
	// bar draws a bar from x0 to x1; title writes its tooltip, escaped.
	bar := func(x0, x1 float64, y, height int, fill, class, extra string, title func()) {
		w := x1 - x0
		if w < 0.8 {
			w = 0.8
		}
		h.str(`<rect class="`)
		h.str(class)
		h.str(`" x="`)
		h.f1(x0)
		h.str(`" y="`)
		h.int(y)
		h.str(`" width="`)
		h.f1(w)
		h.str(`" height="`)
		h.int(height)
		h.str(`" fill="`)
		h.str(fill)
		h.str(`"`)
		h.str(extra)
		h.str(`><title>`)
		title()
		h.str(`</title></rect>`)
	}
	label := func(x0, x1 float64, y int, text string) {
		if x1-x0 > float64(7*len(text)+6) {
			h.str(`<text x="`)
			h.f1(x0 + 3)
			h.str(`" y="`)
			h.int(y + 12)
			h.str(`" fill="#fff" font-size="10" pointer-events="none">`)
			h.esc(text)
			h.str(`</text>`)
		}
	}
	// seg writes "STATE at VERSION" (describeSeg), escaped.
	seg := func(s report.Segment) {
		switch {
		case s.Version != "":
			h.esc(s.State)
			h.str(" at ")
			h.esc(s.Version)
		case s.State == "running":
			h.str("running on ")
			h.esc(s.Node)
		case s.Node != "":
			h.esc(s.State)
			h.str(" (on ")
			h.esc(s.Node)
			h.str(")")
		default:
			h.esc(s.State)
		}
	}

	// Steps: every attempt, and the plan's steps below.
	section("Steps")
	h.b = fmt.Appendf(h.b, `<g class="lane" data-kind="steps"><text x="4" y="%d">all steps</text>`, y+12)
	for _, s := range rep.Steps {
		for _, at := range s.Attempts {
			color := stateColor[at.Status]
			if color == "" {
				color = "#9aa5b1"
			}
			bar(ax.x(at.Start), ax.x(at.End), y, tlLane, color, "step", ` stroke="#fff" stroke-width="0.5"`, func() {
				h.esc(s.Address)
				h.str(": ")
				h.esc(at.Status)
				h.str(", ")
				h.str(fmtSeconds(at.Seconds))
				h.str(" (")
				h.time(at.Start, "15:04:05")
				h.str(" – ")
				h.time(at.End, "15:04:05")
				h.str(")")
				if at.Error != "" {
					h.str(": ")
					h.esc(at.Error)
				}
			})
		}
		if s.PredictedStart != nil && s.PredictedSeconds != nil {
			ps := *s.PredictedStart
			pe := ps.Add(time.Duration(*s.PredictedSeconds * float64(time.Second)))
			bar(ax.x(ps), ax.x(pe), y+tlLane+1, tlPlan-1, "#9aa5b1", "plan", ` stroke="#fff" stroke-width="0.5"`, func() {
				h.str("plan: ")
				h.esc(s.Address)
				h.str(", ")
				h.str(fmtSeconds(*s.PredictedSeconds))
			})
		}
		h.spill()
	}
	h.str(`</g>`)
	y += laneH

	lane := func(kind string, l report.Lane, colorOf func(report.Segment) string, text func(report.Segment) string) {
		h.str(`<g class="lane" data-kind="`)
		h.str(kind)
		h.str(`" data-name="`)
		h.esc(l.Name)
		h.str(`"><text x="4" y="`)
		h.int(y + 12)
		h.str(`">`)
		h.esc(l.Name)
		h.str(`</text>`)
		for _, s := range l.Actual {
			x0, x1 := ax.x(s.Start), ax.x(s.End)
			bar(x0, x1, y, tlLane, colorOf(s), "seg seg-"+s.State, "", func() {
				h.esc(l.Name)
				h.str(" ")
				seg(s)
				h.str(": ")
				h.str(fmtSeconds(s.End.Sub(s.Start).Seconds()))
				h.str(" (")
				h.time(s.Start, "15:04:05")
				h.str(" – ")
				h.time(s.End, "15:04:05")
				h.str(")")
			})
			label(x0, x1, y, text(s))
		}
		for _, s := range l.Predicted {
			bar(ax.x(s.Start), ax.x(s.End), y+tlLane+1, tlPlan-1, colorOf(s), "plan", ` opacity="0.55"`, func() {
				h.str("plan: ")
				h.esc(l.Name)
				h.str(" ")
				seg(s)
			})
		}
		for _, m := range l.Moves {
			h.str(`<path class="move" d="M`)
			h.f1(ax.x(m.Time))
			h.str(" ")
			h.int(y + tlLane)
			h.str(` l-4 -5 h8 z" fill="#24292f"><title>`)
			h.esc(l.Name)
			h.str(" moved ")
			h.esc(m.From)
			h.str(" → ")
			h.esc(m.To)
			h.str(" at ")
			h.time(m.Time, "15:04:05")
			h.str(`</title></path>`)
		}
		h.str(`</g>`)
		y += laneH
		h.spill()
	}
	section("Nodes")
	for _, l := range rep.Nodes {
		lane("node", l, func(s report.Segment) string { return orGrey(stateColor[s.State]) }, func(s report.Segment) string {
			if s.State == report.NodeUp {
				return s.Version
			}
			return s.State
		})
	}
	section("Resources")
	for _, l := range rep.Resources {
		lane("resource", l, func(s report.Segment) string {
			if s.State == "running" {
				return orGrey(nodeColor[s.Node])
			}
			return orGrey(stateColor[s.State])
		}, func(s report.Segment) string {
			if s.State == "running" {
				return s.Node
			}
			return s.State
		})
	}

	// Marks across the whole chart: resumptions first, dashed, so that a
	// stop or a failure at the same time shows over them.
	marks := slices.Clone(rep.Marks)
	sort.SliceStable(marks, func(i, j int) bool {
		return marks[i].Kind == report.MarkResume && marks[j].Kind != report.MarkResume
	})
	for _, m := range marks {
		dash := ""
		if m.Kind == report.MarkResume {
			dash = ` stroke-dasharray="6,4"`
		}
		x := ax.x(m.Time)
		c := markColor[m.Kind]
		t := fmt.Sprintf("%s %s: %s", m.Time.Format("15:04:05"), m.Kind, m.Message)
		if m.Step != "" {
			t = fmt.Sprintf("%s %s at %s: %s", m.Time.Format("15:04:05"), m.Kind, m.Step, m.Message)
		}
		h.b = fmt.Appendf(h.b, `<g class="mark" data-kind="%s"><title>%s</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/><path d="M%.1f %d l-5 -8 h10 z" fill="%s"/></g>`,
			m.Kind, esc(t), x, tlHeader, x, height-4, c, dash, x, tlHeader+8, c)
		h.spill()
	}
	h.str(`</svg>`)
}

func orGrey(c string) string {
	if c == "" {
		return "#9aa5b1"
	}
	return c
}

func describeSeg(s report.Segment) string {
	switch {
	case s.Version != "":
		return s.State + " at " + s.Version
	case s.State == "running":
		return "running on " + s.Node
	case s.Node != "":
		return s.State + " (on " + s.Node + ")"
	}
	return s.State
}

// tickStep is a round interval that puts a tick every 70 pixels or more.
func tickStep(d time.Duration, px float64) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	for _, s := range steps {
		if px <= 0 || float64(d/s) <= px/70 {
			return s
		}
	}
	return steps[len(steps)-1]
}
