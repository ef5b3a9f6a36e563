package main

import (
	"bytes"
	"errors"
	"fmt"
	stdhtml "html"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
	"github.com/runbookhq/runbook/testdata/gen"
)

// appendDuration writes what runtime.FormatDuration does, for durations of
// every shape: zero, milliseconds, tenths, whole seconds, minutes, hours,
// negative.
func TestAppendDuration(t *testing.T) {
	ds := []time.Duration{0, 1, time.Millisecond / 2, time.Millisecond, 99 * time.Millisecond, 99600 * time.Microsecond,
		100 * time.Millisecond, 950 * time.Millisecond, 999 * time.Millisecond, 1950 * time.Millisecond, time.Second,
		59*time.Second + 960*time.Millisecond, time.Minute, time.Minute + time.Second, time.Hour, time.Hour + time.Second,
		time.Hour + time.Minute, 5721*time.Hour + 52*time.Minute, -time.Second, -90 * time.Second, -1500 * time.Millisecond,
		-time.Hour - time.Minute}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ds = append(ds, time.Duration(r.Int64N(int64(3*time.Hour)))-time.Duration(r.Int64N(int64(time.Minute))))
		ds = append(ds, time.Duration(r.Int64N(int64(2*time.Minute))))
	}
	for _, d := range ds {
		if got, want := string(appendDuration(nil, d)), runtime.FormatDuration(d); got != want {
			t.Errorf("appendDuration(%d) = %q; FormatDuration says %q", d, got, want)
		}
	}
}

// The axis places a time where the plain computation does (plainX: each
// span's Before, After and Sub), near its spans and far from them, and xs
// gives Sub's seconds.
func TestAxisX(t *testing.T) {
	plain := (*axis).plainX
	r := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2026, 3, 14, 22, 0, 0, 123, time.UTC)
	for range 200 {
		rep := &report.Report{}
		at := t0
		for range 1 + r.IntN(4) {
			at = at.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
			end := at.Add(time.Duration(r.Int64N(int64(5 * time.Hour))))
			rep.Runs = append(rep.Runs, report.Run{Start: at, End: end})
			at = end
		}
		if r.IntN(2) == 0 {
			rep.Predicted = &report.PredictInfo{Start: t0, End: t0.Add(time.Duration(r.Int64N(int64(10 * time.Hour))))}
		}
		a := newAxis(rep)
		times := []time.Time{{}, t0.AddDate(-200, 0, 0), t0.AddDate(200, 0, 0), t0, at}
		for _, s := range a.spans {
			times = append(times, s.start, s.end, s.start.Add(-1), s.end.Add(1))
		}
		for range 100 {
			times = append(times, t0.Add(time.Duration(r.Int64N(int64(at.Sub(t0)+time.Hour)))-time.Hour))
		}
		for i, tm := range times {
			if got, want := a.x(tm), plain(a, tm); got != want {
				t.Fatalf("x(%v) = %v; the plain computation says %v", tm, got, want)
			}
			other := times[(i+1)%len(times)]
			x0, x1, secs := a.xs(tm, other)
			if x0 != plain(a, tm) || x1 != plain(a, other) || secs != other.Sub(tm).Seconds() {
				t.Fatalf("xs(%v, %v) = %v, %v, %v; want %v, %v, %v", tm, other, x0, x1, secs, plain(a, tm), plain(a, other), other.Sub(tm).Seconds())
			}
		}
	}
}

// appendUint writes what strconv does.
func TestAppendUint(t *testing.T) {
	ns := []int64{0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456, -1, -10, -9999, math.MaxInt64, math.MinInt64}
	for _, n := range ns {
		if got, want := string(appendUint([]byte("x"), n)), "x"+strconv.FormatInt(n, 10); got != want {
			t.Errorf("appendUint(%d) = %q; want %q", n, got, want)
		}
	}
}

// The writer's clock and stamp write what time.Format does, in a zone with
// a name, one without (written as an offset) and outside four-digit years.
func TestHTMLWriterTimes(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("CET", 3600), time.FixedZone("", -(5*3600 + 30*60)), time.FixedZone("", 0)}
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		zones = append(zones, l)
	}
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{time.Date(999, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(10000, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 3, 29, 1, 59, 59, 999999999, time.UTC)}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(4e9), r.Int64N(1e9)))
	}
	for _, z := range zones {
		for _, tm := range times {
			tm = tm.In(z)
			h := &htmlWriter{}
			h.clock(tm)
			if got, want := string(h.b), tm.Format("15:04:05"); got != want {
				t.Errorf("clock(%v) = %q; want %q", tm, got, want)
			}
			h.b = h.b[:0]
			h.stamp(tm)
			if got, want := string(h.b), tm.Format(timeLayoutReport); got != want {
				t.Errorf("stamp(%v) = %q; want %q", tm, got, want)
			}
		}
	}
}

// f1 writes a coordinate to a tenth, "190" for 190.0.
func TestHTMLWriterF1(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 190: "190", 190.04: "190", 190.06: "190.1", 1189.95: "1190", -0.04: "0", -3.5: "-3.5", 0.8: "0.8", 999.86: "999.9"} {
		h := &htmlWriter{}
		h.f1(f)
		if string(h.b) != want {
			t.Errorf("f1(%v) = %q; want %q", f, h.b, want)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		f := r.Float64() * 1210
		h := &htmlWriter{}
		h.f1(f)
		got, err := strconv.ParseFloat(string(h.b), 64)
		if err != nil || math.Abs(got-f) > 0.0500001 {
			t.Errorf("f1(%v) = %q", f, h.b)
		}
	}
}

// bar is a bar or a move of the timeline, as the page draws it or as the
// report says it should be.
type bar struct {
	Lane, Tag, Title, Fill string
	Plan                   bool
	X                      float64
}

// TestTimelineBars renders the report of real runs (each example runbook
// and a generated one) and reads its SVG back: every attempt of a step, every
// segment of a lane, actual and predicted, and every move is drawn, in
// order, with the tooltip and the colour (through the page's stylesheet) and
// at the place the report gives it.
func TestTimelineBars(t *testing.T) {
	paths, err := filepath.Glob("../../runbooks/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example runbooks: %v", err)
	}
	generated := filepath.Join(t.TempDir(), "gen.hcl")
	if err := os.WriteFile(generated, gen.Runbook(30), 0o644); err != nil {
		t.Fatal(err)
	}
	fills := cssFills(t, timelineCSS, "fill")
	heights := cssFills(t, timelineCSS, "height")
	for _, path := range append(paths, generated) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := reportOfRun(t, path)
			var page bytes.Buffer
			if err := renderReport(&page, rep); err != nil {
				t.Fatal(err)
			}
			got := drawnBars(t, page.Bytes(), fills, heights)
			want := reportBars(rep)
			if len(want) < 10 {
				t.Fatalf("only %d bars in the report", len(want))
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.0500001 })); diff != "" {
				t.Errorf("the timeline's bars (-report +page):\n%s", diff)
			}
		})
	}
}

// reportOfRun is the report of a run of the runbook at path on the
// simulator.
func reportOfRun(t *testing.T, path string) *report.Report {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	if code, out := runCLI("run", "--driver", "sim", "--auto-approve", "--state", state, path); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	rb := a.loadRunbook(path, varArgs{}, true)
	if rb == nil {
		t.Fatal("invalid runbook")
	}
	rrb := runtimeRunbook(rb)
	recs, err := runtime.ReadJournal(local.New(state))
	if err != nil {
		t.Fatal(err)
	}
	return report.Build(reportInput(rb, rrb, local.New(state), runtime.ListOf(recs), a.predictEvents(rb, rrb)))
}

// The page is the same, byte for byte, whether its parts are made one
// after the other or on goroutines, whatever their size and the number of
// goroutines: for a run of a generated runbook, of the seed runbook, and
// for a report of nothing.
func TestReportPageInParts(t *testing.T) {
	generated := filepath.Join(t.TempDir(), "gen.hcl")
	if err := os.WriteFile(generated, gen.Runbook(40), 0o644); err != nil {
		t.Fatal(err)
	}
	reps := []*report.Report{reportOfRun(t, generated), reportOfRun(t, "../../runbooks/netware65-rolling-upgrade.hcl"), {Outcome: "not-run"}}
	for i, rep := range reps {
		var whole bytes.Buffer
		if err := renderReportIn(&whole, rep, 1<<30, 0); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(whole.String(), "</svg>") || !strings.HasSuffix(whole.String(), "</html>\n") {
			t.Fatalf("report %d: the page is not whole", i)
		}
		for _, c := range []struct{ chunk, workers int }{{1, 0}, {1, 1}, {1, 2}, {3, 3}, {7, 2}, {reportChunk, reportWorkers}} {
			var parts bytes.Buffer
			if err := renderReportIn(&parts, rep, c.chunk, c.workers); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(whole.Bytes(), parts.Bytes()) {
				t.Errorf("report %d in parts of %d on %d goroutines: %d bytes, not the %d of the whole page", i, c.chunk, c.workers, parts.Len(), whole.Len())
			}
		}
	}
}

// A part of the page that cannot be written stops the page there, with the
// error, and no goroutine is left behind.
func TestReportPageWriteError(t *testing.T) {
	rep := &report.Report{Outcome: "not-run", Steps: make([]report.Step, 100)}
	w := &failingWriter{after: 3}
	if err := renderReportIn(w, rep, 1, 2); err == nil || err.Error() != "disk full" {
		t.Errorf("renderReportIn: %v; want disk full", err)
	}
	if w.writes != 4 {
		t.Errorf("%d writes; want 4 (the last one failed)", w.writes)
	}
}

type failingWriter struct{ after, writes int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.after {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// reportBars is what the timeline must draw of rep, computed the plain way.
func reportBars(rep *report.Report) []bar {
	ax := newAxis(rep)
	clock := func(t time.Time) string { return t.Format("15:04:05") }
	palette := map[string]string{}
	for i, n := range rep.Nodes {
		palette[n.Name] = nodePalette[i%len(nodePalette)]
	}
	grey := func(c string) string {
		if c == "" {
			return "#9aa5b1"
		}
		return c
	}
	var out []bar
	for _, s := range rep.Steps {
		for _, a := range s.Attempts {
			title := fmt.Sprintf("%s: %s, %s (%s – %s)", s.Address, a.Status, fmtSeconds(a.Seconds), clock(a.Start), clock(a.End))
			if a.Error != "" {
				title += ": " + a.Error
			}
			out = append(out, bar{Lane: "steps ", Tag: "rect", Title: title, Fill: grey(stateColor[a.Status]), X: ax.x(a.Start)})
		}
		if s.PredictedStart != nil && s.PredictedSeconds != nil {
			out = append(out, bar{Lane: "steps ", Tag: "rect", Title: "plan: " + s.Address + ", " + fmtSeconds(*s.PredictedSeconds), Fill: "#9aa5b1", Plan: true, X: ax.x(*s.PredictedStart)})
		}
	}
	lanes := func(kind string, ls []report.Lane) {
		for _, l := range ls {
			color := func(s report.Segment) string {
				if kind == "resource" && s.State == "running" {
					return grey(palette[s.Node])
				}
				return grey(stateColor[s.State])
			}
			for _, s := range l.Actual {
				title := fmt.Sprintf("%s %s: %s (%s – %s)", l.Name, describeSeg(s), fmtSeconds(s.End.Sub(s.Start).Seconds()), clock(s.Start), clock(s.End))
				out = append(out, bar{Lane: kind + " " + l.Name, Tag: "rect", Title: title, Fill: color(s), X: ax.x(s.Start)})
			}
			for _, s := range l.Predicted {
				out = append(out, bar{Lane: kind + " " + l.Name, Tag: "rect", Title: "plan: " + l.Name + " " + describeSeg(s), Fill: color(s), Plan: true, X: ax.x(s.Start)})
			}
			for _, m := range l.Moves {
				out = append(out, bar{Lane: kind + " " + l.Name, Tag: "path", Title: l.Name + " moved " + m.From + " → " + m.To + " at " + clock(m.Time), Fill: "#24292f", X: ax.x(m.Time)})
			}
		}
	}
	lanes("node", rep.Nodes)
	lanes("resource", rep.Resources)
	return out
}

// drawnBars reads the bars of the page's lanes: the colour each gets from
// the stylesheet (fills), whether it is the plan's thin bar (the height it
// gets from the stylesheet, heights), where it starts.
func drawnBars(t *testing.T, page []byte, fills, heights []cssFill) []bar {
	dom, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []bar
	walk(dom, func(g *html.Node) {
		if g.Data != "g" || attr(g, "class") != "lane" {
			return
		}
		lane := attr(g, "data-kind") + " " + attr(g, "data-name")
		for c := g.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || (c.Data != "rect" && c.Data != "path") {
				continue
			}
			b := bar{Lane: lane, Tag: c.Data, Fill: fillOf(fills, strings.Fields(attr(c, "class")))}
			for tc := c.FirstChild; tc != nil; tc = tc.NextSibling {
				if tc.Data == "title" {
					b.Title = text(tc)
				}
			}
			if c.Data == "rect" {
				switch h := fillOf(heights, strings.Fields(attr(c, "class"))); h {
				case "4px":
					b.Plan = true
				case "16px":
				default:
					t.Errorf("a bar of %s %q high", lane, h)
				}
				if b.X, err = strconv.ParseFloat(attr(c, "x"), 64); err != nil {
					t.Errorf("a bar of %s at x=%q", lane, attr(c, "x"))
				}
			} else if _, err := fmt.Sscanf(attr(c, "d"), "M%g ", &b.X); err != nil {
				t.Errorf("a move of %s at %q", lane, attr(c, "d"))
			}
			out = append(out, b)
		}
	})
	return out
}

// cssFill is a rule of the stylesheet that sets a property (the fill, or
// the height), by class.
type cssFill struct {
	classes [][]string // each selector's classes (all must match)
	fill    string
}

var cssRule = regexp.MustCompile(`(?m)^([^{}]+)\{([^{}]*)\}`)

func cssFills(t *testing.T, css, property string) []cssFill {
	var out []cssFill
	for _, m := range cssRule.FindAllStringSubmatch(css, -1) {
		fill := ""
		for _, decl := range strings.Split(m[2], ";") {
			if k, v, ok := strings.Cut(decl, ":"); ok && strings.TrimSpace(k) == property {
				fill = strings.TrimSpace(v)
			}
		}
		if fill == "" {
			continue
		}
		r := cssFill{fill: fill}
		for _, sel := range strings.Split(m[1], ",") {
			sel = strings.TrimSpace(sel)
			if !strings.HasPrefix(sel, ".") || strings.ContainsAny(sel, " #[:>") {
				t.Fatalf("a selector the test does not read: %q", sel)
			}
			r.classes = append(r.classes, strings.Split(sel[1:], "."))
		}
		out = append(out, r)
	}
	return out
}

// fillOf is the fill of an element of those classes: the last rule that
// matches it (the rules have one class each, all of the same weight).
func fillOf(rules []cssFill, classes []string) string {
	has := map[string]bool{}
	for _, c := range classes {
		has[c] = true
	}
	fill := ""
	for _, r := range rules {
	selectors:
		for _, sel := range r.classes {
			for _, c := range sel {
				if !has[c] {
					continue selectors
				}
			}
			fill = r.fill
		}
	}
	return fill
}

// esc writes, and escaped returns, what html.EscapeString returns.
func TestHTMLWriterEsc(t *testing.T) {
	cases := []string{"", "plain", `<a href="x">'&'</a>`, "→ ünïcode & <", `"`, "'", "a&b&&c", "\x00<\xff>", "a\rb",
		"a long text of many words with none", "a long text with one at the end: <", "\xff\xfe\x80\x81;=?@%$#! \x00\x01\x7f>"}
	// Every byte at every place of strings of up to 20 bytes.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(21))
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(8) == 0 {
				b[i] = "<>&'\"a;=?%\x00\x80\xff"[r.IntN(13)]
			}
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		h := &htmlWriter{}
		h.esc(s)
		if got, want := string(h.b), stdhtml.EscapeString(s); got != want {
			t.Errorf("esc(%q) = %q; want %q", s, got, want)
		}
		if got, want := escaped(s), stdhtml.EscapeString(s); got != want {
			t.Errorf("escaped(%q) = %q; want %q", s, got, want)
		}
	}
}

// The report a run makes as it goes (liveReport), taking the run's records
// a few at a time, is the one `runbook report` makes of its state, byte for
// byte. A run that does not complete (its plan is then not its own) has
// its report made whole at its end: the live one gives none.
func TestLiveReport(t *testing.T) {
	defer func(p time.Duration) { reportPoll = p }(reportPoll)
	reportPoll = 50 * time.Microsecond
	generated := filepath.Join(t.TempDir(), "gen.hcl")
	if err := os.WriteFile(generated, gen.Runbook(60), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"generated", []string{generated}},
		{"seed", []string{"../../runbooks/netware65-rolling-upgrade.hcl"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, "state")
			path := c.args[len(c.args)-1]
			if code, msg := runCLI(append([]string{"run", "--driver", "sim", "--auto-approve", "--state", state}, c.args...)...); code != exitOK {
				t.Fatalf("run: exit %d\n%s", code, msg)
			}
			sameReportAsCommand(t, state, path)
		})
	}
	st, err := runtime.OpenState(local.New(t.TempDir()), runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &app{stdout: io.Discard, stderr: io.Discard, registry: builtin.Registry(), drivers: driverbuiltin.Registry()}
	rb := a.loadRunbook(generated, varArgs{}, true)
	live := startLiveReport(rb, runtimeRunbook(rb), st.Store, st, nil, nil)
	if rep := live.report(st.RecordList(), &plannedRun{}); rep != nil {
		t.Errorf("a live report with a plan not the run's own: %+v", rep)
	}
	live.end() // again: nothing
	var none *liveReport
	if none.report(st.RecordList(), &plannedRun{fromRun: true}) != nil {
		t.Error("no live report gave a report")
	}
	none.end()
}

// TestColorMemo: the colour a resource's lane gives a node is the palette's
// colour of the map, whatever the order the nodes come in, for a node the
// map has not too (-1).
func TestColorMemo(t *testing.T) {
	of := map[string]int{}
	for i := range 9 {
		of[fmt.Sprintf("N%d", i)] = i % len(nodePalette)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, nodes := range []int{1, 2, 3, 12} {
		m := colorMemo{of: of}
		for range 2000 {
			node := fmt.Sprintf("N%d", rng.IntN(nodes))
			want, ok := of[node]
			if !ok {
				want = -1
			}
			if got := m.color(node); got != want {
				t.Fatalf("colour of %s: %d, want %d", node, got, want)
			}
		}
	}
}
