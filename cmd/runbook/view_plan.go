package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/runbookhq/runbook/internal/sorted"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
)

// planView shows a plan and picks the exit code.
type planView interface {
	Plan(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result) int
}

func (a *app) planView(t viewType, resume *resumePoint) planView {
	if t == viewJSON {
		return &planJSON{w: a.stdout, resume: resume, registry: a.registry}
	}
	return &planHuman{w: a.stdout, color: a.color, resume: resume, registry: a.registry}
}

func planExit(res *runtime.Result) int {
	if res.OK() {
		return exitOK
	}
	return exitFailed
}

// planHuman prints each step, numbered, with its predicted duration and
// effects, then the totals. With resume set (a run resumes from a journal)
// it starts at the first step not done, says how an earlier run left each
// step it lists, and predicts times and downtime from there.
type planHuman struct {
	w        io.Writer
	color    bool
	resume   *resumePoint
	registry steps.Registry
}

func (v *planHuman) Plan(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result) int {
	bold := paint(v.color, color.Bold)
	reports := map[string]runtime.StepReport{}
	for _, s := range res.Steps {
		reports[s.Address] = s
	}
	rp := v.resume
	first, start := 0, res.Start
	if rp != nil {
		first = rp.First
		if first < len(rrb.Steps) {
			if r, ok := reports[rrb.Steps[first].Address]; ok {
				start = r.Start
			}
		}
	}
	bold.Fprintf(v.w, "Plan for runbook %s", rb.Name)
	cluster := fmt.Sprintf("cluster %s (%s, %s)", rb.Cluster.Name, plural(len(rb.Cluster.Nodes), "node"), plural(len(rb.Cluster.Resources), "resource"))
	if rp == nil {
		fmt.Fprintf(v.w, ": %s on %s, simulated from %s.\n\n", plural(len(rrb.Steps), "step"), cluster, start.Format(timeLayout))
	} else {
		left := 0
		for _, s := range rrb.Steps[first:] {
			if !rp.settled(s.Address) {
				left++
			}
		}
		fmt.Fprintf(v.w, ": %d of %s left on %s, resuming from the journal in %s.\n", left, plural(len(rrb.Steps), "step"), cluster, rp.Dir)
		if first == len(rrb.Steps) {
			fmt.Fprintln(v.w, "Nothing is left: every step is done, skipped, or failed and continued past. A run only compares the cluster with the journal.")
			return planExit(res)
		}
		switch first {
		case 0:
			fmt.Fprintf(v.w, "It resumes at step 1, simulated from %s.\n\n", start.Format(timeLayout))
		case 1:
			fmt.Fprintf(v.w, "Step 1 is done (not shown, not run again); the run resumes at step 2, simulated from the plan's %s.\n\n", start.Format(timeLayout))
		default:
			fmt.Fprintf(v.w, "Steps 1-%d are done (not shown, not run again); the run resumes at step %d, simulated from the plan's %s.\n\n", first, first+1, start.Format(timeLayout))
		}
	}
	width := 0
	for _, s := range rrb.Steps[first:] {
		width = max(width, len(s.Address))
	}
	nwidth := len(fmt.Sprint(len(rrb.Steps)))
	indent := fmt.Sprintf("%*s", nwidth+4, "")
	toRun, shown := 0, 0
	for i, s := range rrb.Steps {
		if i < first {
			continue
		}
		shown++
		fmt.Fprintf(v.w, "%*d. ", nwidth+1, i+1)
		bold.Fprintf(v.w, "%-*s", width, s.Address)
		if rp != nil && rp.settled(s.Address) {
			paint(v.color, color.Faint).Fprintf(v.w, "  %s earlier\n", rp.Last[s.Address].Status)
			continue
		}
		r, ran := reports[s.Address]
		switch {
		case !ran:
			paint(v.color, color.Faint).Fprintln(v.w, "  not reached")
			continue
		case r.Status == runtime.StatusSkipped:
			paint(v.color, color.Faint).Fprintln(v.w, "  skipped (when is false)")
			continue
		case r.Status == runtime.StatusDone && r.NotRun:
			toRun++
			paint(v.color, color.Faint).Fprintf(v.w, "  %s\n", noEffectText(r))
		case r.Status == runtime.StatusDone:
			toRun++
			fmt.Fprintf(v.w, "  %s\n", runtime.FormatDuration(r.Duration))
		default:
			paint(v.color, color.FgRed, color.Bold).Fprintf(v.w, "  fails: %s\n", r.Error)
		}
		if rp != nil {
			for _, note := range rp.earlierNotes(v.registry, s) {
				fmt.Fprint(v.w, indent)
				paint(v.color, color.FgYellow).Fprintln(v.w, note)
			}
		}
		for _, c := range r.Changes {
			p := paint(v.color)
			if c.Alarming() {
				p = paint(v.color, color.FgRed, color.Bold)
			}
			fmt.Fprint(v.w, indent)
			p.Fprintln(v.w, c.String())
		}
	}
	fmt.Fprintln(v.w)
	if !res.OK() {
		paint(v.color, color.FgRed, color.Bold).Fprint(v.w, "The plan fails:")
		fmt.Fprintf(v.w, " %s. Fix the runbook (`runbook validate %s`) or the declared cluster.\n", res.Message, rb.Path)
		return planExit(res)
	}
	fmt.Fprintf(v.w, "Predicted: %s for %s", runtime.FormatDuration(res.End.Sub(start)), plural(toRun, "step"))
	if n := shown - toRun; n > 0 {
		fmt.Fprintf(v.w, " (%d skipped)", n)
	}
	if rp != nil {
		fmt.Fprint(v.w, " left")
	}
	fmt.Fprintln(v.w, ".")
	downtime := res.Downtime
	if rp != nil {
		downtime = downtimeAfter(res.Downtime, rp.Before)
	}
	names := sorted.Keys(downtime)
	down := false
	for _, n := range names {
		down = down || downtime[n] > 0
	}
	if !down {
		fmt.Fprintln(v.w, "Predicted downtime: none.")
		return planExit(res)
	}
	fmt.Fprintln(v.w, "Predicted downtime per resource:")
	width = 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(v.w, "  %-*s  %s\n", width, n, runtime.FormatDuration(downtime[n]))
	}
	return planExit(res)
}

// downtimeAfter is the downtime of a whole plan less that of its first
// steps: the downtime still to come.
func downtimeAfter(whole, before map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for k, d := range whole {
		out[k] = max(d-before[k], 0)
	}
	return out
}

// noEffectText describes a step the plan did not run: it has no effect on
// the cluster.
func noEffectText(r runtime.StepReport) string {
	if r.NoEffect != "" {
		return "no cluster effect: " + r.NoEffect
	}
	return "no cluster effect"
}

// planMessage says what a plan is and how it ends: a prediction on the
// simulator, in which nothing was run on the cluster. d is the predicted
// time; resumed says the plan starts where a run stopped.
func planMessage(res *runtime.Result, d time.Duration, resumed bool) string {
	const what = "predicted on a simulator of the declared cluster; nothing was run"
	run := "the run"
	if resumed {
		run = "the rest of the run"
	}
	if res.OK() {
		return fmt.Sprintf("%s would complete in %s (%s)", run, runtime.FormatDuration(d), what)
	}
	return fmt.Sprintf("%s would fail: %s (%s)", run, res.Message, what)
}

// planJSON prints the plan as one object. With resume set, the totals
// count from the step where the run resumes, and each step says how the
// journal left it.
type planJSON struct {
	w        io.Writer
	resume   *resumePoint
	registry steps.Registry
}

type planStepJSON struct {
	Address          string   `json:"address"`
	Type             string   `json:"type"`
	Status           string   `json:"status"`
	PredictedSeconds float64  `json:"predicted_seconds"`
	Changes          []change `json:"changes"`
	Error            string   `json:"error,omitempty"`
	// NotRun is set on a step that does not change the cluster: the plan
	// does not run it, and Note says what it does instead.
	NotRun bool   `json:"not_run,omitempty"`
	Note   string `json:"note,omitempty"`
	// Journal is the step's last status in the journal of a resumed run;
	// Earlier says how the resumed run settles a step an earlier run left
	// unsettled, and WaitsFor the operations it waits for.
	Journal  string   `json:"journal,omitempty"`
	Earlier  string   `json:"earlier,omitempty"`
	WaitsFor []string `json:"waits_for,omitempty"`
}

// resumeJSON says where a resumed run starts.
type resumeJSON struct {
	State string `json:"state"`
	// From is the address of the first step left, "" when none is.
	From string `json:"from"`
	// Left counts the steps the run has left to settle.
	Left int `json:"left"`
}

type change struct {
	Message string `json:"message"`
	runtime.Change
}

func (v *planJSON) Plan(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result) int {
	reports := map[string]runtime.StepReport{}
	for _, s := range res.Steps {
		reports[s.Address] = s
	}
	out := struct {
		Runbook          string             `json:"runbook"`
		Cluster          string             `json:"cluster"`
		OK               bool               `json:"ok"`
		Message          string             `json:"message"`
		Start            time.Time          `json:"start"`
		PredictedSeconds float64            `json:"predicted_seconds"`
		Resume           *resumeJSON        `json:"resume,omitempty"`
		Steps            []planStepJSON     `json:"steps"`
		DowntimeSeconds  map[string]float64 `json:"downtime_seconds"`
	}{Runbook: rb.Name, Cluster: rb.Cluster.Name, OK: res.OK(), Start: res.Start,
		Steps: []planStepJSON{}, DowntimeSeconds: map[string]float64{}}
	rp, downtime := v.resume, res.Downtime
	if rp != nil {
		out.Resume = &resumeJSON{State: rp.Dir}
		if rp.First < len(rrb.Steps) {
			out.Resume.From = rrb.Steps[rp.First].Address
			if r, ok := reports[out.Resume.From]; ok {
				out.Start = r.Start
			}
		} else {
			out.Start = res.End
		}
		downtime = downtimeAfter(res.Downtime, rp.Before)
	}
	out.PredictedSeconds = res.End.Sub(out.Start).Seconds()
	out.Message = planMessage(res, res.End.Sub(out.Start), rp != nil)
	for _, s := range rrb.Steps {
		r, ran := reports[s.Address]
		ps := planStepJSON{Address: s.Address, Type: s.Type, Status: runtime.StatusPending, Changes: []change{}}
		if ran {
			ps.Status, ps.PredictedSeconds, ps.Error = r.Status, r.Duration.Seconds(), r.Error
			if r.NotRun {
				ps.NotRun, ps.Note = true, noEffectText(r)
			}
			for _, c := range r.Changes {
				ps.Changes = append(ps.Changes, change{Message: c.String(), Change: c})
			}
		}
		if rp != nil {
			ps.Journal = rp.Last[s.Address].Status
			if !rp.settled(s.Address) {
				out.Resume.Left++
				ps.Earlier = strings.Join(rp.earlierNotes(v.registry, s), "; ")
				ps.WaitsFor = rp.waitsFor(s.Address)
			}
		}
		out.Steps = append(out.Steps, ps)
	}
	for k, d := range downtime {
		out.DowntimeSeconds[k] = d.Seconds()
	}
	enc := json.NewEncoder(v.w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
	return planExit(res)
}
