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

// putReportHTML renders the report into the state store.
func putReportHTML(put func(string, []byte) error, rep *report.Report) error {
	var b bytes.Buffer
	if err := renderReport(&b, rep); err != nil {
		return err
	}
	return put(runtime.ReportBlob, b.Bytes())
}

func renderReport(w io.Writer, rep *report.Report) error {
	return reportPage.Execute(w, reportPageData{Report: rep, Timeline: template.HTML(timelineSVG(rep)),
		DowntimeRows: template.HTML(downtimeRows(rep)), StepRows: template.HTML(stepRows(rep)), OperationRows: template.HTML(operationRows(rep))})
}

// reportPageData is the page's data. The long tables (a row per resource,
// step and operation: thousands for a large cluster) are written here, every
// value escaped, rather than by the template, which is several times slower.
type reportPageData struct {
	*report.Report
	Timeline                              template.HTML
	DowntimeRows, StepRows, OperationRows template.HTML
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func downtimeRows(rep *report.Report) string {
	var b strings.Builder
	for _, d := range rep.Downtime {
		fmt.Fprintf(&b, "<tr class=\"downtime\" data-resource=\"%s\"><td>%s</td><td class=\"num predicted\" data-seconds=\"%s\">%s</td><td class=\"num measured\" data-seconds=\"%s\">%s</td>",
			esc(d.Resource), esc(d.Resource), num(d.PredictedSeconds), fmtSeconds(d.PredictedSeconds), num(d.MeasuredSeconds), fmtSeconds(d.MeasuredSeconds))
		if rep.Probe != nil {
			if d.ProbeSeconds == nil {
				b.WriteString(`<td class="num probe">not measured</td>`)
			} else {
				fmt.Fprintf(&b, `<td class="num probe" data-seconds="%s">%s</td>`, num(*d.ProbeSeconds), fmtSeconds(*d.ProbeSeconds))
			}
		}
		b.WriteString("<td>")
		if len(d.Outages) == 0 {
			b.WriteString("none")
		} else {
			b.WriteString(`<ul class="outages">`)
			for _, o := range d.Outages {
				open := ""
				if o.Open {
					open = " (still down)"
				}
				fmt.Fprintf(&b, "<li>%s–%s <b>%s</b>%s: %s</li>", o.Start.Format("15:04:05"), o.End.Format("15:04:05"), fmtSeconds(o.Seconds), open, esc(o.Reason))
			}
			b.WriteString("</ul>")
		}
		b.WriteString("</td></tr>\n")
	}
	return b.String()
}

func stepRows(rep *report.Report) string {
	var b strings.Builder
	for _, s := range rep.Steps {
		took, predicted := "", ""
		if len(s.Attempts) > 0 {
			took = fmtSeconds(s.Seconds)
		}
		if s.PredictedSeconds != nil {
			predicted = fmtSeconds(*s.PredictedSeconds)
		}
		fmt.Fprintf(&b, "<tr><td class=\"mono\">%s</td><td>%s</td><td class=\"st-%s\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
			esc(s.Address), esc(s.Node), esc(s.Status), esc(s.Status), took, predicted)
		for _, a := range s.Attempts {
			fmt.Fprintf(&b, "<div>%s: <span class=\"st-%s\">%s</span> after %s", fmtTime(a.Start), esc(a.Status), esc(a.Status), fmtSeconds(a.Seconds))
			if a.Error != "" {
				b.WriteString(" — " + esc(a.Error))
			}
			b.WriteString("</div>")
		}
		b.WriteString("</td></tr>\n")
	}
	return b.String()
}

func operationRows(rep *report.Report) string {
	var b strings.Builder
	for _, o := range rep.Operations {
		outcome := esc(o.Outcome)
		if o.Error != "" {
			outcome += ": " + esc(o.Error)
		}
		took, exit := "", "–"
		switch {
		case o.Seconds != nil:
			took = fmtSeconds(*o.Seconds)
		case o.SecondsAtMost != nil:
			took = "≤ " + fmtSeconds(*o.SecondsAtMost)
		}
		if o.ExitStatus != nil {
			exit = strconv.Itoa(*o.ExitStatus)
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"mono\">%s</td><td class=\"mono\">%s</td><td class=\"st-%s\">%s</td><td class=\"num\">%s</td><td>%s</td></tr>\n",
			fmtTime(o.Time), esc(o.Step), esc(o.Op), esc(o.Outcome), outcome, took, exit)
	}
	return b.String()
}

func fmtSeconds(s float64) string {
	return runtime.FormatDuration(time.Duration(s * float64(time.Second)))
}

func fmtTime(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

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
func timelineSVG(rep *report.Report) string {
	ax := newAxis(rep)
	nodeColor := map[string]string{}
	for i, n := range rep.Nodes {
		nodeColor[n.Name] = nodePalette[i%len(nodePalette)]
	}
	lanes := 2 + len(rep.Nodes) + len(rep.Resources)
	laneH := tlLane + tlPlan + tlGap
	height := tlHeader + 3*tlSection + lanes*laneH + 10
	width := tlLabel + tlWidth + tlRight
	var b strings.Builder
	b.Grow(lanes * 600)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="timeline-svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`, width, height, width, height)
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>`)

	// The time axis: ticks per span, and a zigzag at each cut.
	for i, s := range ax.spans {
		if i > 0 {
			x := s.x0 - tlBreak/2
			fmt.Fprintf(&b, `<g class="cut"><title>%s not shown</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#8c959f" stroke-dasharray="3,3"/><text x="%.1f" y="%d" text-anchor="middle" fill="#57606a">⋯</text></g>`,
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
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eaeef2"/><text x="%.1f" y="%d" text-anchor="middle" fill="#57606a">%s</text>`,
				x, tlHeader-6, x, height-4, x, tlHeader-12, t.Format(layout))
		}
	}
	if len(ax.spans) > 0 {
		fmt.Fprintf(&b, `<text x="4" y="%d" fill="#57606a">%s</text>`, tlHeader-12, esc(ax.spans[0].start.Format("Mon 2 Jan 2006")))
	}

	y := tlHeader
	section := func(title string) {
		fmt.Fprintf(&b, `<text x="4" y="%d" font-weight="bold" font-size="12">%s</text>`, y+15, esc(title))
		y += tlSection
	}
	bar := func(x0, x1 float64, y, h int, fill, title, class string, extra string) {
		w := x1 - x0
		if w < 0.8 {
			w = 0.8
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"%s><title>%s</title></rect>`, class, x0, y, w, h, fill, extra, esc(title))
	}
	label := func(x0, x1 float64, y int, text string) {
		if x1-x0 > float64(7*len(text)+6) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#fff" font-size="10" pointer-events="none">%s</text>`, x0+3, y+12, esc(text))
		}
	}

	// Steps: every attempt, and the plan's steps below.
	section("Steps")
	fmt.Fprintf(&b, `<g class="lane" data-kind="steps"><text x="4" y="%d">all steps</text>`, y+12)
	for _, s := range rep.Steps {
		for _, at := range s.Attempts {
			t := fmt.Sprintf("%s: %s, %s (%s – %s)", s.Address, at.Status, fmtSeconds(at.Seconds), at.Start.Format("15:04:05"), at.End.Format("15:04:05"))
			if at.Error != "" {
				t += ": " + at.Error
			}
			color := stateColor[at.Status]
			if color == "" {
				color = "#9aa5b1"
			}
			bar(ax.x(at.Start), ax.x(at.End), y, tlLane, color, t, "step", ` stroke="#fff" stroke-width="0.5"`)
		}
		if s.PredictedStart != nil && s.PredictedSeconds != nil {
			ps := *s.PredictedStart
			pe := ps.Add(time.Duration(*s.PredictedSeconds * float64(time.Second)))
			bar(ax.x(ps), ax.x(pe), y+tlLane+1, tlPlan-1, "#9aa5b1", fmt.Sprintf("plan: %s, %s", s.Address, fmtSeconds(*s.PredictedSeconds)), "plan", ` stroke="#fff" stroke-width="0.5"`)
		}
	}
	b.WriteString(`</g>`)
	y += laneH

	lane := func(kind string, l report.Lane, colorOf func(report.Segment) string, text func(report.Segment) string) {
		fmt.Fprintf(&b, `<g class="lane" data-kind="%s" data-name="%s"><text x="4" y="%d">%s</text>`, kind, esc(l.Name), y+12, esc(l.Name))
		for _, s := range l.Actual {
			x0, x1 := ax.x(s.Start), ax.x(s.End)
			bar(x0, x1, y, tlLane, colorOf(s), fmt.Sprintf("%s %s: %s (%s – %s)", l.Name, describeSeg(s), fmtSeconds(s.End.Sub(s.Start).Seconds()), s.Start.Format("15:04:05"), s.End.Format("15:04:05")), "seg seg-"+s.State, "")
			label(x0, x1, y, text(s))
		}
		for _, s := range l.Predicted {
			bar(ax.x(s.Start), ax.x(s.End), y+tlLane+1, tlPlan-1, colorOf(s), fmt.Sprintf("plan: %s %s", l.Name, describeSeg(s)), "plan", ` opacity="0.55"`)
		}
		for _, m := range l.Moves {
			x := ax.x(m.Time)
			fmt.Fprintf(&b, `<path class="move" d="M%.1f %d l-4 -5 h8 z" fill="#24292f"><title>%s moved %s → %s at %s</title></path>`, x, y+tlLane, esc(l.Name), esc(m.From), esc(m.To), m.Time.Format("15:04:05"))
		}
		b.WriteString(`</g>`)
		y += laneH
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
		fmt.Fprintf(&b, `<g class="mark" data-kind="%s"><title>%s</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/><path d="M%.1f %d l-5 -8 h10 z" fill="%s"/></g>`,
			m.Kind, esc(t), x, tlHeader, x, height-4, c, dash, x, tlHeader+8, c)
	}
	b.WriteString(`</svg>`)
	return b.String()
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
