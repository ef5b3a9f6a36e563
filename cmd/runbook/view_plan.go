package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/fatih/color"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

// planView shows a plan and picks the exit code.
type planView interface {
	Plan(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result) int
}

func (a *app) planView(t viewType) planView {
	if t == viewJSON {
		return &planJSON{w: a.stdout}
	}
	return &planHuman{w: a.stdout, color: a.color}
}

func planExit(res *runtime.Result) int {
	if res.OK() {
		return exitOK
	}
	return exitFailed
}

// planHuman prints each step, numbered, with its predicted duration and
// effects, then the totals.
type planHuman struct {
	w     io.Writer
	color bool
}

func (v *planHuman) Plan(rb *lang.Runbook, rrb *runtime.Runbook, res *runtime.Result) int {
	bold := paint(v.color, color.Bold)
	bold.Fprintf(v.w, "Plan for runbook %s", rb.Name)
	fmt.Fprintf(v.w, ": %s on cluster %s (%s, %s), simulated from %s.\n\n",
		plural(len(rrb.Steps), "step"), rb.Cluster.Name, plural(len(rb.Cluster.Nodes), "node"), plural(len(rb.Cluster.Resources), "resource"), res.Start.Format(timeLayout))
	reports := map[string]runtime.StepReport{}
	for _, s := range res.Steps {
		reports[s.Address] = s
	}
	width := 0
	for _, s := range rrb.Steps {
		width = max(width, len(s.Address))
	}
	nwidth := len(fmt.Sprint(len(rrb.Steps)))
	indent := fmt.Sprintf("%*s", nwidth+4, "")
	toRun := 0
	for i, s := range rrb.Steps {
		fmt.Fprintf(v.w, "%*d. ", nwidth+1, i+1)
		bold.Fprintf(v.w, "%-*s", width, s.Address)
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
	fmt.Fprintf(v.w, "Predicted: %s for %s", runtime.FormatDuration(res.End.Sub(res.Start)), plural(toRun, "step"))
	if n := len(rrb.Steps) - toRun; n > 0 {
		fmt.Fprintf(v.w, " (%d skipped)", n)
	}
	fmt.Fprintln(v.w, ".")
	names := sortedDowntime(res.Downtime)
	down := false
	for _, n := range names {
		down = down || res.Downtime[n] > 0
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
		fmt.Fprintf(v.w, "  %-*s  %s\n", width, n, runtime.FormatDuration(res.Downtime[n]))
	}
	return planExit(res)
}

// noEffectText describes a step the plan did not run: it has no effect on
// the cluster.
func noEffectText(r runtime.StepReport) string {
	if r.NoEffect != "" {
		return "no cluster effect: " + r.NoEffect
	}
	return "no cluster effect"
}

// planJSON prints the plan as one object.
type planJSON struct{ w io.Writer }

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
		Steps            []planStepJSON     `json:"steps"`
		DowntimeSeconds  map[string]float64 `json:"downtime_seconds"`
	}{Runbook: rb.Name, Cluster: rb.Cluster.Name, OK: res.OK(), Message: res.Message, Start: res.Start,
		PredictedSeconds: res.End.Sub(res.Start).Seconds(), Steps: []planStepJSON{}, DowntimeSeconds: map[string]float64{}}
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
		out.Steps = append(out.Steps, ps)
	}
	for k, d := range res.Downtime {
		out.DowntimeSeconds[k] = d.Seconds()
	}
	enc := json.NewEncoder(v.w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
	return planExit(res)
}
