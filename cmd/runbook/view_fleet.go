package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/runtime"
)

// fleetView shows a fleet run: each cluster's events, prefixed with its
// name, and the fleet's summary.
type fleetView interface {
	// Notice shows a message of the fleet itself.
	Notice(msg string)
	// Invalid shows that a cluster's runbook is invalid (its diagnostics
	// are on stderr).
	Invalid(c *fleetCluster, diags hcl.Diagnostics)
	// Cluster shows a message of the fleet about one cluster.
	Cluster(c *fleetCluster, msg string)
	// ClusterView is the view of one cluster's run, writing to w.
	ClusterView(c *fleetCluster, w io.Writer) runView
	// Summary shows how the fleet ended and returns the exit code.
	Summary(f *fleetRunner) int
}

// fleetViewFor is the fleet's view: live on a terminal (stdout a terminal,
// NO_COLOR unset, no --json), otherwise the event lines of fleetHuman. out
// and errOut are the fleet's stdout and stderr; the live view prints what
// they write above its area (stderr's only if it is a terminal too).
func (a *app) fleetViewFor(args *fleetRunArgs, out, errOut *lineSink) fleetView {
	if args.View == viewJSON {
		return &fleetJSON{w: out}
	}
	h := &fleetHuman{w: out, color: a.color}
	if !a.color {
		return h
	}
	sinks := []*lineSink{out}
	if termFd(a.stderr) >= 0 {
		sinks = append(sinks, errOut)
	}
	return newFleetLive(h, len(args.Paths), a.stdout, sinks...)
}

// fleetTotals counts the clusters by outcome.
type fleetTotals struct {
	Done       int `json:"done"`
	Failed     int `json:"failed"`
	Stopped    int `json:"stopped"`
	NotStarted int `json:"not_started"`
}

func totalsOf(cs []*fleetCluster) fleetTotals {
	var t fleetTotals
	for _, c := range cs {
		switch c.Outcome {
		case fleetDone:
			t.Done++
		case fleetFailed:
			t.Failed++
		case fleetStopped:
			t.Stopped++
		default:
			t.NotStarted++
		}
	}
	return t
}

// fleetExit is a fleet's exit code: 1 if a cluster failed, 3 if one
// stopped or did not start, else 0.
func fleetExit(t fleetTotals) int {
	switch {
	case t.Failed > 0:
		return exitFailed
	case t.Stopped > 0 || t.NotStarted > 0:
		return exitStopped
	}
	return exitOK
}

type fleetHuman struct {
	mu    sync.Mutex
	w     io.Writer
	color bool
}

func (v *fleetHuman) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	paint(v.color, color.FgYellow, color.Bold).Fprintln(v.w, msg)
}

func (v *fleetHuman) Invalid(c *fleetCluster, diags hcl.Diagnostics) {}

func (v *fleetHuman) Cluster(c *fleetCluster, msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.w, "%s | %s\n", c.Name, msg)
}

func (v *fleetHuman) ClusterView(c *fleetCluster, w io.Writer) runView {
	return &runHuman{w: w, color: v.color, simulated: c.simulated()}
}

func (v *fleetHuman) Summary(f *fleetRunner) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := totalsOf(f.clusters)
	var b strings.Builder
	fmt.Fprintln(&b)
	head := paint(v.color, color.FgGreen, color.Bold)
	switch fleetExit(t) {
	case exitFailed:
		head = paint(v.color, color.FgRed, color.Bold)
	case exitStopped:
		head = paint(v.color, color.FgYellow, color.Bold)
	}
	head.Fprint(&b, "Fleet:")
	fmt.Fprintf(&b, " %s: %d done, %d failed, %d stopped, %d not started", plural(len(f.clusters), "cluster"), t.Done, t.Failed, t.Stopped, t.NotStarted)
	if f.why != "" {
		fmt.Fprintf(&b, " (%s)", f.why)
	}
	fmt.Fprintln(&b, ".")
	width := 0
	for _, c := range f.clusters {
		width = max(width, len(c.Name))
	}
	for _, c := range f.clusters {
		line := fmt.Sprintf("  %-*s  %s", width, c.Name, strings.ReplaceAll(c.Outcome, "-", " "))
		if c.Reason != "" && c.Outcome != fleetDone {
			line += ": " + c.Reason
		}
		fmt.Fprintln(&b, line)
	}
	switch {
	case t.Failed > 0:
		fmt.Fprintln(&b, "Fix the failed clusters, then run the same command: each cluster resumes from its own journal.")
	case t.Stopped+t.NotStarted > 0:
		fmt.Fprintln(&b, "Run the same command to resume: each cluster resumes from its own journal.")
	}
	io.WriteString(v.w, b.String())
	return fleetExit(t)
}

// fleetJSON prints one JSON object a line: each event and each cluster's
// summary with a "cluster" field, and the fleet's summary last.
type fleetJSON struct {
	w io.Writer
}

func (v *fleetJSON) encode(x any) {
	b, _ := json.Marshal(x)
	v.w.Write(append(b, '\n'))
}

func (v *fleetJSON) Notice(msg string) {
	v.encode(map[string]string{"type": "notice", "message": msg})
}

func (v *fleetJSON) Invalid(c *fleetCluster, diags hcl.Diagnostics) {
	errs, warns := countDiags(diags)
	v.encode(struct {
		Type    string `json:"type"`
		Cluster string `json:"cluster"`
		jsonValidate
	}{"diagnostics", c.Name, jsonValidate{Valid: errs == 0, ErrorCount: errs, WarningCount: warns, Diagnostics: newJSONDiagnostics(diags)}})
}

func (v *fleetJSON) Cluster(c *fleetCluster, msg string) {
	v.encode(map[string]string{"type": "notice", "cluster": c.Name, "message": msg})
}

func (v *fleetJSON) ClusterView(c *fleetCluster, w io.Writer) runView {
	return &fleetClusterJSON{name: c.Name, enc: json.NewEncoder(w)}
}

// fleetSummaryJSON is the last line of `fleet run --json`.
type fleetSummaryJSON struct {
	Type           string               `json:"type"`
	OK             bool                 `json:"ok"`
	ExitCode       int                  `json:"exit_code"`
	Clusters       fleetTotals          `json:"clusters"`
	Failures       int                  `json:"failures"`
	MaxFailures    int                  `json:"max_failures"`
	MaxConcurrency int                  `json:"max_concurrency"`
	Stopped        string               `json:"stopped,omitempty"`
	Each           []fleetClusterResult `json:"each"`
}

type fleetClusterResult struct {
	Cluster string `json:"cluster"`
	Path    string `json:"path"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	State   string `json:"state,omitempty"`
}

func (v *fleetJSON) Summary(f *fleetRunner) int {
	t := totalsOf(f.clusters)
	s := fleetSummaryJSON{Type: "fleet-summary", OK: fleetExit(t) == exitOK, ExitCode: fleetExit(t), Clusters: t,
		Failures: f.failures, MaxFailures: f.args.MaxFailures, MaxConcurrency: f.args.MaxConcurrency, Stopped: f.why}
	for _, c := range f.clusters {
		s.Each = append(s.Each, fleetClusterResult{Cluster: c.Name, Path: c.Path, Outcome: c.Outcome, Reason: c.Reason, State: c.dir})
	}
	v.encode(s)
	return s.ExitCode
}

// fleetClusterJSON is runJSON with each object naming its cluster.
type fleetClusterJSON struct {
	mu     sync.Mutex
	name   string
	enc    *json.Encoder
	report string
}

func (v *fleetClusterJSON) Event(e runtime.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.enc.Encode(struct {
		Cluster string `json:"cluster"`
		runtime.Event
	}{v.name, e})
}

func (v *fleetClusterJSON) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.enc.Encode(map[string]string{"type": "notice", "cluster": v.name, "message": msg})
}

func (v *fleetClusterJSON) Report(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.report = path
}

func (v *fleetClusterJSON) Summary(res *runtime.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.enc.Encode(struct {
		Cluster string `json:"cluster"`
		runSummaryJSON
	}{v.name, summaryJSON(res, v.report)})
}

// fleetPlanCluster is what a cluster of a fleet would run: its steps left
// of all its steps, the plan's time for all, its driver and its state.
type fleetPlanCluster struct {
	Name string
	// Invalid is set when its runbook is invalid: it is not run.
	Invalid       bool
	Left, Steps   int
	Predicted     time.Duration
	Driver, State string
}

// writeFleetPlan shows the fleet's plan, for its confirmation: each
// cluster, and the cap and the failure limit.
func writeFleetPlan(w io.Writer, plan []fleetPlanCluster, maxConcurrency, failureLimit int) {
	fmt.Fprintln(w, "Fleet plan:")
	for _, c := range plan {
		if c.Invalid {
			fmt.Fprintf(w, "  %s: invalid, not run (counts as a failure)\n", c.Name)
			continue
		}
		fmt.Fprintf(w, "  %s: %s of %d left (about %s by the plan for all), driver %s, state %s\n",
			c.Name, plural(c.Left, "step"), c.Steps, runtime.FormatDuration(c.Predicted), c.Driver, c.State)
	}
	fmt.Fprintf(w, "At most %d at once; no new cluster starts once failures reach %d.\n", maxConcurrency, failureLimit)
}

// fleetNotices words what a fleet run says of itself while it runs; its
// view shows it (above the live area, or as a JSON notice).
type fleetNotices struct{ v fleetView }

// NoSharedSlots warns that the store at where keeps no slots that runners
// share: the cap of max holds in this runner only.
func (n fleetNotices) NoSharedSlots(where string, max int) {
	n.v.Notice(fmt.Sprintf("Warning: the store %s keeps no shared slots: --max-concurrency %d holds within this fleet run only, not across runners.", where, max))
}

// NoSharedFailures warns that the store at where keeps no failure count
// that runners share: the limit of max counts this runner's failures only.
func (n fleetNotices) NoSharedFailures(where string, max int) {
	n.v.Notice(fmt.Sprintf("Warning: the store %s keeps no shared failure count: --max-failures %d counts the failures of this fleet run only, not across runners.", where, max))
}

// FailureNotRecorded says that the failure of cluster could not be added
// to the fleet's failures.
func (n fleetNotices) FailureNotRecorded(cluster string, err error) {
	n.v.Notice(fmt.Sprintf("Error: recording the failure of %s in the fleet's failures: %v", cluster, err))
}

// FailuresNotRead says that the fleet's failures could not be read.
func (n fleetNotices) FailuresNotRead(err error) {
	n.v.Notice(fmt.Sprintf("Error: reading the fleet's failures: %v", err))
}

// SlotHeld says why a slot of the cap is held by a command that outlived
// its runner, or that it is free again.
func (n fleetNotices) SlotHeld(msg string) {
	n.v.Notice(msg)
}

// SlotsNotTaken says that the fleet's slots could not be taken.
func (n fleetNotices) SlotsNotTaken(err error) {
	n.v.Notice(fmt.Sprintf("Error: the fleet's slots: %v", err))
}

// FailureLimit says that the fleet's failures reached the limit max (count
// of them), after what (a cluster's failure, or ""): the fleet stops.
func (n fleetNotices) FailureLimit(what string, count, max int) {
	n.v.Notice(fmt.Sprintf("%sFailures reached %d (--max-failures %d): no new cluster starts; those rolling stop after their step in flight.", what, count, max))
}

// HeldElsewhere says that another run (holder) holds cluster c: it is
// tried again later.
func (n fleetNotices) HeldElsewhere(c *fleetCluster, holder *runtime.Holder) {
	n.v.Cluster(c, fmt.Sprintf("held by another run (%s); trying again later", holder))
}
