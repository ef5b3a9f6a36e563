package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"math"
	"os"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	size := reportSizeHint(rep)
	return runtime.PutBlob(to, runtime.ReportBlob, size, func(w io.Writer) error {
		if f, ok := w.(*os.File); ok {
			return writeReserved(f, size, func(w io.Writer) error { return renderReport(w, rep) })
		}
		return renderReport(w, rep)
	})
}

// writeReserved writes what write writes to f, a new file, with room for
// about size bytes reserved for it on the disk first where the system can
// (reserve): the file system then allocates its blocks at once, not one by
// one as the tens of megabytes of a large report's page are written. What
// was reserved past its end is given back.
func writeReserved(f *os.File, size int, write func(io.Writer) error) error {
	if !reserve(f, int64(size)) {
		return write(f)
	}
	w := &tallyWriter{w: f}
	if err := write(w); err != nil {
		return err
	}
	return f.Truncate(w.n)
}

// tallyWriter counts what is written through it to w.
type tallyWriter struct {
	w io.Writer
	n int64
}

func (c *tallyWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
	return renderReportIn(w, rep, reportChunk, reportWorkers)
}

// reportChunk is how many lanes, steps or rows a part of the page has at
// most (renderReportIn): some hundreds of kilobytes.
const reportChunk = 256

// reportWorkers is how many goroutines make the page's parts: the machine's
// processors, up to 4.
var reportWorkers = min(goruntime.GOMAXPROCS(0), 4)

// renderReportIn writes the page in parts of at most chunk lanes, steps or
// rows, made on workers goroutines (none: one after the other on this
// one) a few parts ahead of the one written: the page is the same whatever
// the parts and the workers.
func renderReportIn(w io.Writer, rep *report.Report, chunk, workers int) error {
	var page bytes.Buffer
	if err := reportPage.Execute(&page, reportPageData{Report: rep, Timeline: markTimeline, TimelineCSS: template.CSS(timelineCSS),
		DowntimeRows: markDowntimeRows, StepRows: markStepRows, OperationRows: markOperationRows}); err != nil {
		return err
	}
	var parts []func(*htmlWriter)
	text := func(s string) { parts = append(parts, func(h *htmlWriter) { h.str(s) }) }
	rest := page.String()
	for _, long := range []struct {
		marker template.HTML
		parts  func() []func(*htmlWriter)
	}{
		{markTimeline, func() []func(*htmlWriter) { return newTimeline(rep).parts(chunk) }},
		{markDowntimeRows, func() []func(*htmlWriter) {
			return appendRanges(nil, len(rep.Downtime), chunk, func(h *htmlWriter, from, to int) { downtimeRows(h, rep, from, to) })
		}},
		{markStepRows, func() []func(*htmlWriter) {
			return appendRanges(nil, len(rep.Steps), chunk, func(h *htmlWriter, from, to int) { stepRows(h, rep, from, to) })
		}},
		{markOperationRows, func() []func(*htmlWriter) {
			return appendRanges(nil, len(rep.Operations), chunk, func(h *htmlWriter, from, to int) { operationRows(h, rep, from, to) })
		}},
	} {
		before, after, ok := strings.Cut(rest, string(long.marker))
		if !ok {
			continue // in a branch the template did not take
		}
		text(before)
		parts = append(parts, long.parts()...)
		rest = after
	}
	text(rest)
	return writeParts(w, parts, workers)
}

// writeParts writes what each part writes, in order: made one after the
// other with no workers, else on workers goroutines at most a few parts
// ahead of the one being written, each into a buffer of its own.
func writeParts(w io.Writer, parts []func(*htmlWriter), workers int) error {
	if workers <= 0 {
		out := &htmlWriter{w: w, b: make([]byte, 0, 1<<16)}
		for _, p := range parts {
			p(out)
			out.spill()
		}
		return out.flush()
	}
	ahead := 2 * workers
	done := make([]chan []byte, len(parts))
	for i := range done {
		done[i] = make(chan []byte, 1)
	}
	free := make(chan []byte, ahead) // the buffers written out, to be made again
	slots := make(chan struct{}, ahead)
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(parts) {
					return
				}
				var b []byte
				select {
				case b = <-free:
				default:
				}
				h := &htmlWriter{b: b[:0]}
				parts[i](h)
				done[i] <- h.b
			}
		}()
	}
	var err error
	for i := range parts {
		b := <-done[i]
		if err == nil {
			_, err = w.Write(b)
		}
		select {
		case free <- b:
		default:
		}
		<-slots
		if err != nil {
			break
		}
	}
	close(stop)
	wg.Wait()
	return err
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
	TimelineCSS                           template.CSS
	DowntimeRows, StepRows, OperationRows template.HTML
}

// htmlWriter writes HTML to w through a buffer of its own, by appending:
// the report's long parts, without fmt's cost per value.
type htmlWriter struct {
	w   io.Writer
	b   []byte
	err error
}

// spill writes the buffer out once it is full; a writer without w (a
// part of the page made in memory) keeps it.
func (h *htmlWriter) spill() {
	if h.w != nil && len(h.b) >= 1<<16 {
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

// escapedByte are the bytes esc replaces.
var escapedByte = [256]bool{'<': true, '>': true, '&': true, '\'': true, '"': true}

// esc writes s escaped as html.EscapeString does.
func (h *htmlWriter) esc(s string) {
	// A short text (a name, a state) that needs no escaping, as most,
	// is appended here.
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if escapedByte[s[i]] {
				h.escFrom(s, i)
				return
			}
		}
		h.b = append(h.b, s...)
		return
	}
	h.escFrom(s, 0)
}

// escaped returns s escaped as esc writes it: s itself when it needs no
// escaping, as most names.
func escaped(s string) string {
	for i := 0; i < len(s); i++ {
		if escapedByte[s[i]] {
			h := htmlWriter{b: make([]byte, 0, len(s)+16)}
			h.escFrom(s, i)
			return string(h.b)
		}
	}
	return s
}

// escFrom writes s escaped, whose bytes before i need none.
func (h *htmlWriter) escFrom(s string, i int) {
	// Eight bytes at a time up to the first that needs escaping: most
	// text has none.
	for ; i+8 <= len(s); i += 8 {
		if escapable(binary.LittleEndian.Uint64([]byte(s[i : i+8]))) {
			break
		}
	}
	last := 0
	for ; i < len(s); i++ {
		if !escapedByte[s[i]] {
			continue
		}
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
		default:
			r = "&#34;"
		}
		h.b = append(h.b, s[last:i]...)
		h.b = append(h.b, r...)
		last = i + 1
	}
	h.b = append(h.b, s[last:]...)
}

// escapable reports whether any of the eight bytes of x is one that esc
// replaces: whether x has a zero byte once xored with any of them (a
// borrow can mark a byte above a zero one, never a word without one).
func escapable(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(y uint64) uint64 { return (y - ones) &^ y & highs }
	return zero(x^(ones*'<'))|zero(x^(ones*'>'))|zero(x^(ones*'&'))|zero(x^(ones*'\''))|zero(x^(ones*'"')) != 0
}

// int writes n as %d does.
func (h *htmlWriter) int(n int) { h.b = appendUint(h.b, int64(n)) }

// appendUint appends n in decimal as strconv.AppendInt does: from 0 to
// 9,999 (coordinates, most durations' figures) without its general case.
func appendUint(b []byte, n int64) []byte {
	switch {
	case n < 0:
		return strconv.AppendInt(b, n, 10)
	case n < 10:
		return append(b, byte('0'+n))
	case n < 100:
		return append(b, byte('0'+n/10), byte('0'+n%10))
	case n < 1000:
		return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	case n < 10000:
		return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	}
	return strconv.AppendInt(b, n, 10)
}

// f1 writes f rounded to a tenth, without a fraction of ".0": a
// coordinate ("190", "190.4", "-3.5").
func (h *htmlWriter) f1(f float64) {
	n := int64(math.Round(f * 10))
	if n < 0 {
		h.b = append(h.b, '-')
		n = -n
	}
	h.b = appendUint(h.b, n/10)
	if d := n % 10; d != 0 {
		h.b = append(h.b, '.', byte('0'+d))
	}
}

// num writes f as num does.
func (h *htmlWriter) num(f float64) { h.b = strconv.AppendFloat(h.b, f, 'g', -1, 64) }

// clock writes t as t.Format("15:04:05") does.
func (h *htmlWriter) clock(t time.Time) {
	var hh, mm, ss int
	if t.Location() == time.UTC {
		// Without the zone's lookup.
		sec := int(t.Unix() % 86400)
		if sec < 0 {
			sec += 86400
		}
		hh, mm, ss = sec/3600, sec/60%60, sec%60
	} else {
		hh, mm, ss = t.Clock()
	}
	h.b = append(h.b, byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10), ':', byte('0'+ss/10), byte('0'+ss%10))
}

// stamp writes t as t.Format(timeLayoutReport) does.
func (h *htmlWriter) stamp(t time.Time) {
	zone, _ := t.Zone()
	y, mo, d := t.Date()
	if zone == "" || y < 1000 || y > 9999 {
		h.b = t.AppendFormat(h.b, timeLayoutReport)
		return
	}
	h.b = strconv.AppendInt(h.b, int64(y), 10)
	h.b = append(h.b, '-', byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), ' ')
	h.clock(t)
	h.b = append(h.b, ' ')
	h.b = append(h.b, zone...)
}

// dur writes s seconds as fmtSeconds does.
func (h *htmlWriter) dur(s float64) { h.b = appendDuration(h.b, time.Duration(s*float64(time.Second))) }

// appendDuration appends d as runtime.FormatDuration writes it, without
// making a string.
func appendDuration(b []byte, d time.Duration) []byte {
	if d == 0 {
		return append(b, "0s"...)
	}
	if d > 0 && d < time.Minute && d%time.Second != 0 {
		if d < 100*time.Millisecond {
			b = appendUint(b, int64(max(d.Round(time.Millisecond), time.Millisecond)/time.Millisecond))
			return append(b, "ms"...)
		}
		if r := d.Round(100 * time.Millisecond); r%time.Second != 0 {
			b = strconv.AppendFloat(b, r.Seconds(), 'f', 1, 64)
			return append(b, 's')
		}
	}
	d = d.Round(time.Second)
	h, m, s := int64(d/time.Hour), int64(d/time.Minute)%60, int64(d/time.Second)%60
	if h > 0 {
		b = append(appendUint(b, h), 'h')
		if m == 0 && s == 0 {
			return b
		}
		b = append(appendUint(b, m), 'm')
		if s == 0 {
			return b
		}
		return append(appendUint(b, s), 's')
	}
	if m > 0 {
		b = append(appendUint(b, m), 'm')
		if s == 0 {
			return b
		}
	}
	return append(appendUint(b, s), 's')
}

func downtimeRows(h *htmlWriter, rep *report.Report, from, to int) {
	for _, d := range rep.Downtime[from:to] {
		h.str(`<tr class=downtime data-resource="`)
		h.esc(d.Resource)
		h.str(`"><td>`)
		h.esc(d.Resource)
		h.str(`<td class="num predicted" data-seconds=`)
		h.num(d.PredictedSeconds)
		h.str(`>`)
		h.dur(d.PredictedSeconds)
		h.str(`<td class="num measured" data-seconds=`)
		h.num(d.MeasuredSeconds)
		h.str(`>`)
		h.dur(d.MeasuredSeconds)
		if rep.Probe != nil {
			if d.ProbeSeconds == nil {
				h.str(`<td class="num probe">not measured`)
			} else {
				h.str(`<td class="num probe" data-seconds=`)
				h.num(*d.ProbeSeconds)
				h.str(`>`)
				h.dur(*d.ProbeSeconds)
			}
		}
		h.str("<td>")
		if len(d.Outages) == 0 {
			h.str("none")
		} else {
			h.str(`<ul class=outages>`)
			for _, o := range d.Outages {
				h.str("<li>")
				h.clock(o.Start)
				h.str("–")
				h.clock(o.End)
				h.str(" <b>")
				h.dur(o.Seconds)
				h.str("</b>")
				if o.Open {
					h.str(" (still down)")
				}
				h.str(": ")
				h.esc(o.Reason)
			}
			h.str("</ul>")
		}
		h.str("</tr>\n")
		h.spill()
	}
}

func stepRows(h *htmlWriter, rep *report.Report, from, to int) {
	for _, s := range rep.Steps[from:to] {
		h.str(`<tr><td class=mono>`)
		h.esc(s.Address)
		h.str(`<td>`)
		h.esc(s.Node)
		h.str(`<td class="st-`)
		h.esc(s.Status)
		h.str(`">`)
		h.esc(s.Status)
		h.str(`<td class=num>`)
		if len(s.Attempts) > 0 {
			h.dur(s.Seconds)
		}
		h.str(`<td class=num>`)
		if s.PredictedSeconds != nil {
			h.dur(*s.PredictedSeconds)
		}
		h.str(`<td>`)
		for _, a := range s.Attempts {
			h.str("<div>")
			h.stamp(a.Start)
			h.str(`: <span class="st-`)
			h.esc(a.Status)
			h.str(`">`)
			h.esc(a.Status)
			h.str(`</span> after `)
			h.dur(a.Seconds)
			if a.Error != "" {
				h.str(" — ")
				h.esc(a.Error)
			}
			h.str("</div>")
		}
		h.str("</tr>\n")
		h.spill()
	}
}

func operationRows(h *htmlWriter, rep *report.Report, from, to int) {
	for _, o := range rep.Operations[from:to] {
		h.str("<tr><td>")
		h.stamp(o.Time)
		h.str(`<td class=mono>`)
		h.esc(o.Step)
		h.str(`<td class=mono>`)
		h.esc(o.Op)
		h.str(`<td class="st-`)
		h.esc(o.Outcome)
		h.str(`">`)
		h.esc(o.Outcome)
		if o.Error != "" {
			h.str(": ")
			h.esc(o.Error)
		}
		h.str(`<td class=num>`)
		switch {
		case o.Seconds != nil:
			h.dur(*o.Seconds)
		case o.SecondsAtMost != nil:
			h.str("≤ ")
			h.dur(*o.SecondsAtMost)
		}
		h.str(`<td>`)
		if o.ExitStatus != nil {
			h.int(*o.ExitStatus)
		} else {
			h.str("–")
		}
		h.str("</tr>\n")
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
{{.TimelineCSS}}</style>
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
	// base is the first span's start, which from and to count from (its
	// Unix seconds and nanoseconds): a time is placed after one
	// subtraction.
	base              time.Time
	baseSec, baseNsec int64
}

type axisSpan struct {
	start, end time.Time
	from, to   time.Duration // start and end since the axis' base
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
	a := &axis{base: cut[0].s, baseSec: cut[0].s.Unix(), baseNsec: int64(cut[0].s.Nanosecond())}
	x := float64(tlLabel)
	for i, v := range cut {
		if i > 0 {
			x += tlBreak
		}
		w := width * float64(v.e.Sub(v.s)) / float64(total)
		a.spans = append(a.spans, axisSpan{start: v.s, end: v.e, from: v.s.Sub(a.base), to: v.e.Sub(a.base), x0: x, x1: x + w})
		x += w
	}
	return a
}

// since is the time from the axis' base to t, when it is less than about
// a century (ok): what time.Time.Sub returns, without its checks.
func (a *axis) since(t time.Time) (d time.Duration, ok bool) {
	s := t.Unix() - a.baseSec
	if s < -1<<31 || s > 1<<31 {
		return 0, false
	}
	return time.Duration(s)*time.Second + time.Duration(int64(t.Nanosecond())-a.baseNsec), true
}

// xs is x of start and of end, and the seconds from one to the other.
func (a *axis) xs(start, end time.Time) (x0, x1, seconds float64) {
	d0, ok0 := a.since(start)
	d1, ok1 := a.since(end)
	if !ok0 || !ok1 {
		return a.x(start), a.x(end), end.Sub(start).Seconds()
	}
	return a.at(d0), a.at(d1), (d1 - d0).Seconds()
}

func (a *axis) x(t time.Time) float64 {
	if d, ok := a.since(t); ok {
		return a.at(d)
	}
	// Too far from the base to count in a Duration.
	return a.plainX(t)
}

// plainX is x computed from each span's Before, After and Sub: for a time
// too far from the axis' base to count in a Duration, and the tests'
// reference for at.
func (a *axis) plainX(t time.Time) float64 {
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

// at is x of the time d after the axis' base.
func (a *axis) at(d time.Duration) float64 {
	for i := range a.spans {
		s := &a.spans[i]
		if d < s.from {
			if i == 0 {
				return s.x0
			}
			return s.x0 - tlBreak/2
		}
		if d <= s.to {
			if s.to <= s.from {
				return s.x0
			}
			return s.x0 + (s.x1-s.x0)*float64(d-s.from)/float64(s.to-s.from)
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

// timelineCSS colours the timeline's bars by their classes (a bar carries
// its state's, and a resource running the class of its node's colour, nN),
// so that each of the tens of thousands of bars of a large cluster does not
// carry its colours: grey for a state without a colour of its own.
var timelineCSS = func() string {
	var b strings.Builder
	b.WriteString(".seg, .plan, .step { fill: #9aa5b1; }\n")
	b.WriteString(".plan { opacity: 0.55; }\n")
	b.WriteString(".step, .step-plan { stroke: #fff; stroke-width: 0.5; }\n")
	// The bars' heights, and the plan's place under its lane's bar.
	b.WriteString(".seg, .step { height: 16px; }\n")
	b.WriteString(".plan { y: 17px; height: 4px; }\n")
	b.WriteString(".step-plan { fill: #9aa5b1; opacity: 1; }\n")
	for _, k := range slices.Sorted(maps.Keys(stateColor)) {
		fmt.Fprintf(&b, ".seg-%s, .plan-%s, .step-%s { fill: %s; }\n", k, k, k, stateColor[k])
	}
	for i, c := range nodePalette {
		fmt.Fprintf(&b, ".n%d { fill: %s; }\n", i, c)
	}
	b.WriteString(".lbl { fill: #fff; font-size: 10px; pointer-events: none; }\n")
	b.WriteString(".move { fill: #24292f; }\n")
	return b.String()
}()

// classToken reports whether s can be part of a class name as it is: a
// state that is not (a driver's own) gets no class of its own, and so the
// grey of a state without a colour.
func classToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// timeline draws the timeline: the steps, one lane per node and per
// resource, actual (thick) over predicted (thin), and the marks. Each lane
// is a group moved down to its place; its bars are coloured by their
// classes (timelineCSS). It is drawn in parts (parts), each of a range of
// steps or lanes, which can be drawn at once on several goroutines: where
// a part starts follows from its range alone.
type timeline struct {
	rep       *report.Report
	ax        *axis
	nodeColor map[string]int // the palette's colour of each node
	height    int
	// y of the steps' lane, the nodes' first lane, the resources' first.
	ySteps, yNodes, yResources int
}

const tlLaneH = tlLane + tlPlan + tlGap

func newTimeline(rep *report.Report) *timeline {
	tl := &timeline{rep: rep, ax: newAxis(rep), nodeColor: make(map[string]int, len(rep.Nodes))}
	for i, n := range rep.Nodes {
		tl.nodeColor[n.Name] = i % len(nodePalette)
	}
	lanes := 2 + len(rep.Nodes) + len(rep.Resources)
	tl.height = tlHeader + 3*tlSection + lanes*tlLaneH + 10
	tl.ySteps = tlHeader + tlSection
	tl.yNodes = tl.ySteps + tlLaneH + tlSection
	tl.yResources = tl.yNodes + len(rep.Nodes)*tlLaneH + tlSection
	return tl
}

// parts are the timeline's parts in order, with at most chunk steps or
// lanes each.
func (tl *timeline) parts(chunk int) []func(*htmlWriter) {
	rep := tl.rep
	out := []func(*htmlWriter){tl.head}
	out = appendRanges(out, len(rep.Steps), chunk, tl.stepBars)
	out = append(out, func(h *htmlWriter) {
		h.str(`</g>`)
		tl.section(h, "Nodes", tl.yNodes-tlSection)
	})
	out = appendRanges(out, len(rep.Nodes), chunk, tl.nodeLanes)
	out = append(out, func(h *htmlWriter) { tl.section(h, "Resources", tl.yResources-tlSection) })
	out = appendRanges(out, len(rep.Resources), chunk, tl.resourceLanes)
	return append(out, tl.marks)
}

// appendRanges appends a part for each range of at most chunk of n
// things (none for none).
func appendRanges(parts []func(*htmlWriter), n, chunk int, part func(h *htmlWriter, from, to int)) []func(*htmlWriter) {
	for from := 0; from < n; from += chunk {
		to := min(from+chunk, n)
		parts = append(parts, func(h *htmlWriter) { part(h, from, to) })
	}
	return parts
}

// head opens the chart: its axis, and the steps' lane.
func (tl *timeline) head(h *htmlWriter) {
	ax, height := tl.ax, tl.height
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
	tl.section(h, "Steps", tl.ySteps-tlSection)
	tl.openLane(h, "steps", nil, tl.ySteps)
}

// section writes a section's title above y.
func (tl *timeline) section(h *htmlWriter, title string, y int) {
	h.b = fmt.Appendf(h.b, `<text x="4" y="%d" font-weight="bold" font-size="12">%s</text>`, y+15, esc(title))
}

// bar opens a bar from x0 to x1 in its lane, up to its tooltip's text:
// class is its class (seg or step: a thick bar, the actual; plan: a thin
// one under it, the plan's; the stylesheet gives each its height and
// place), then kind-STATE when the state is a class token, then nN for a
// resource running on the node of the palette's colour N (n < 0: none).
// The caller writes the tooltip, then closes it (endBar).
func (tl *timeline) bar(h *htmlWriter, x0, x1 float64, class, kind, state string, n int) {
	w := x1 - x0
	if w < 0.8 {
		w = 0.8
	}
	h.str(`<rect class="`)
	h.str(class)
	if kind != "" && classToken(state) {
		h.str(" ")
		h.str(kind)
		h.str("-")
		h.str(state)
	}
	if n >= 0 {
		h.str(" n")
		h.int(n)
	}
	h.str(`" x=`)
	h.f1(x0)
	h.str(` width=`)
	h.f1(w)
	h.str(`><title>`)
}

func endBar(h *htmlWriter) { h.str(`</title></rect>`) }

// label writes text on a bar from x0 to x1 if it fits.
func label(h *htmlWriter, x0, x1 float64, text string) {
	if x1-x0 > float64(7*len(text)+6) {
		h.str(`<text class=lbl x=`)
		h.f1(x0 + 3)
		h.str(` y=12>`)
		h.esc(text)
		h.str(`</text>`)
	}
}

// seg writes "STATE at VERSION" (describeSeg), escaped.
func seg(h *htmlWriter, s *report.Segment) {
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

// span writes ": 1m (22:00:00 – 22:01:00)".
func span(h *htmlWriter, d float64, start, end time.Time) {
	h.str(": ")
	h.dur(d)
	h.str(" (")
	h.clock(start)
	h.str(" – ")
	h.clock(end)
	h.str(")")
}

// openLane opens a lane's group at y: the steps' (name nil), a node's or a
// resource's.
func (tl *timeline) openLane(h *htmlWriter, kind string, name *string, y int) {
	h.str(`<g class=lane data-kind=`)
	h.str(kind)
	if name != nil {
		h.str(` data-name="`)
		h.esc(*name)
		h.str(`"`)
	}
	h.str(` transform="translate(0 `)
	h.int(y)
	h.str(`)"><text x=4 y=12>`)
	if name != nil {
		h.esc(*name)
	} else {
		h.str("all steps")
	}
	h.str(`</text>`)
}

// stepBars draws the steps from to to: every attempt, and the plan's step
// below.
func (tl *timeline) stepBars(h *htmlWriter, from, to int) {
	ax := tl.ax
	for i := from; i < to; i++ {
		s := &tl.rep.Steps[i]
		for j := range s.Attempts {
			at := &s.Attempts[j]
			tl.bar(h, ax.x(at.Start), ax.x(at.End), "step", "step", at.Status, -1)
			h.esc(s.Address)
			h.str(": ")
			h.esc(at.Status)
			h.str(", ")
			h.dur(at.Seconds)
			h.str(" (")
			h.clock(at.Start)
			h.str(" – ")
			h.clock(at.End)
			h.str(")")
			if at.Error != "" {
				h.str(": ")
				h.esc(at.Error)
			}
			endBar(h)
		}
		if s.PredictedStart != nil && s.PredictedSeconds != nil {
			ps := *s.PredictedStart
			pe := ps.Add(time.Duration(*s.PredictedSeconds * float64(time.Second)))
			tl.bar(h, ax.x(ps), ax.x(pe), "plan step-plan", "", "", -1)
			h.str("plan: ")
			h.esc(s.Address)
			h.str(", ")
			h.dur(*s.PredictedSeconds)
			endBar(h)
		}
		h.spill()
	}
}

// lane draws a node's or resource's lane at y; running is the colour of
// the node a resource runs on (-1 for none: a node's lane, or a resource
// that is not running).
func (tl *timeline) lane(h *htmlWriter, kind string, l *report.Lane, y int, running func(*report.Segment) int, text func(*report.Segment) string) {
	ax := tl.ax
	tl.openLane(h, kind, &l.Name, y)
	// The lane's name, in the tooltip of each of its bars, escaped once.
	name := escaped(l.Name)
	for i := range l.Actual {
		s := &l.Actual[i]
		x0, x1, secs := ax.xs(s.Start, s.End)
		tl.bar(h, x0, x1, "seg", "seg", s.State, running(s))
		h.str(name)
		h.str(" ")
		seg(h, s)
		span(h, secs, s.Start, s.End)
		endBar(h)
		label(h, x0, x1, text(s))
	}
	for i := range l.Predicted {
		s := &l.Predicted[i]
		tl.bar(h, ax.x(s.Start), ax.x(s.End), "plan", "plan", s.State, running(s))
		h.str("plan: ")
		h.str(name)
		h.str(" ")
		seg(h, s)
		endBar(h)
	}
	for _, m := range l.Moves {
		h.str(`<path class=move d="M`)
		h.f1(ax.x(m.Time))
		h.str(` 16l-4-5h8z"><title>`)
		h.str(name)
		h.str(" moved ")
		h.esc(m.From)
		h.str(" → ")
		h.esc(m.To)
		h.str(" at ")
		h.clock(m.Time)
		h.str(`</title></path>`)
	}
	h.str(`</g>`)
	h.spill()
}

func (tl *timeline) nodeLanes(h *htmlWriter, from, to int) {
	for i := from; i < to; i++ {
		tl.lane(h, "node", &tl.rep.Nodes[i], tl.yNodes+i*tlLaneH, func(*report.Segment) int { return -1 }, func(s *report.Segment) string {
			if s.State == report.NodeUp {
				return s.Version
			}
			return s.State
		})
	}
}

func (tl *timeline) resourceLanes(h *htmlWriter, from, to int) {
	colors := colorMemo{of: tl.nodeColor}
	for i := from; i < to; i++ {
		tl.lane(h, "resource", &tl.rep.Resources[i], tl.yResources+i*tlLaneH, func(s *report.Segment) int {
			if s.State != "running" {
				return -1
			}
			return colors.color(s.Node)
		}, func(s *report.Segment) string {
			if s.State == "running" {
				return s.Node
			}
			return s.State
		})
	}
}

// colorMemo is the palette's colour of each node (of; -1 for a node it
// does not have), remembering the last two it was asked for: the bars of a
// resource's lane name the same few nodes over and over, and a look-up in
// the map of every node of a large cluster misses the processor's cache.
type colorMemo struct {
	of     map[string]int
	node   [2]string
	colors [2]int
	n      int // how many of node are set
	last   int // the one set last
}

func (m *colorMemo) color(node string) int {
	for i := range m.n {
		if m.node[i] == node {
			return m.colors[i]
		}
	}
	c, ok := m.of[node]
	if !ok {
		c = -1
	}
	i := 0
	if m.n < len(m.node) {
		i, m.n = m.n, m.n+1
	} else {
		i = 1 - m.last
	}
	m.node[i], m.colors[i], m.last = node, c, i
	return c
}

// marks draws the marks across the whole chart, resumptions first, dashed,
// so that a stop or a failure at the same time shows over them; and closes
// the chart.
func (tl *timeline) marks(h *htmlWriter) {
	marks := slices.Clone(tl.rep.Marks)
	sort.SliceStable(marks, func(i, j int) bool {
		return marks[i].Kind == report.MarkResume && marks[j].Kind != report.MarkResume
	})
	for _, m := range marks {
		dash := ""
		if m.Kind == report.MarkResume {
			dash = ` stroke-dasharray="6,4"`
		}
		x := tl.ax.x(m.Time)
		c := markColor[m.Kind]
		t := fmt.Sprintf("%s %s: %s", m.Time.Format("15:04:05"), m.Kind, m.Message)
		if m.Step != "" {
			t = fmt.Sprintf("%s %s at %s: %s", m.Time.Format("15:04:05"), m.Kind, m.Step, m.Message)
		}
		h.b = fmt.Appendf(h.b, `<g class="mark" data-kind="%s"><title>%s</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/><path d="M%.1f %d l-5 -8 h10 z" fill="%s"/></g>`,
			m.Kind, esc(t), x, tlHeader, x, tl.height-4, c, dash, x, tlHeader+8, c)
		h.spill()
	}
	h.str(`</svg>`)
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
