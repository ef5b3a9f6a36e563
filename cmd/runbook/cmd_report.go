package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/atomicfile"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/approve"
)

func (a *app) reportCommand() *cobra.Command {
	var args reportArgs
	args.kinds = a.drivers
	c := &cobra.Command{
		Use:   "report [flags] PATH",
		Short: "Write the report of the runbook's runs: a timeline, the downtime, who ran and approved what",
		Long: `Report reads the journal of the runbook's state directory and writes one
self-contained HTML page (no network, no external files): the runbook (name,
version, hash of its text), the driver and the cluster; who ran it and when,
each run's outcome, and every approval and stop; a timeline with one lane per
node (up, leaving, upgrading, rejoining, its version) and per resource (where
it runs, moving, offline, in its media upgrade), the steps as bars and the
plan's prediction beside what happened; each resource's downtime, predicted
and measured, with the reason for each outage; and each operation the steps
issued, with its outcome and duration.

It works for a finished, stopped or failed run, and for one in progress (as
far as the journal goes). By default the page is report.html in the state
directory, which every run also writes when it ends; -o writes it elsewhere.
--json prints the same data as one JSON object.

--probe FILE lays a downtime measured outside runbook (a client polling
each service through the window) beside the journal's: FILE is one JSON
object {"source": "what measured it", "downtime_seconds": {"RESOURCE":
SECONDS, ...}}, shown as the downtime table's "Probe" column (probe_seconds
in --json). Each resource it names must be one of the runbook's.

Exit status: 0 written, 1 invalid runbook or no run to report on, 2 usage
error.`,
		Example: `  runbook report runbooks/netware65-rolling-upgrade.hcl
  runbook report -o /tmp/window.html --driver sim upgrade.hcl
  runbook report --json --state /tmp/rehearsal upgrade.hcl
  runbook report --probe probe.json -o /tmp/window.html upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.report(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

func (a *app) report(args *reportArgs) int {
	rb := a.loadRunbook(args.Path, args.Vars, true)
	if rb == nil {
		return exitFailed
	}
	store, err := a.openState(args.State, rb, args.Driver)
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	dir := store.Where("")
	recs, err := runtime.ReadJournal(store)
	if err != nil {
		a.messages().Error(err)
		return exitFailed
	}
	if runtime.FirstDriver(recs) == "" && !hasRun(recs) {
		a.messages().NoRun(dir, args.Path)
		return exitFailed
	}
	rrb := runtimeRunbook(rb)
	in := reportInput(rb, rrb, store, runtime.ListOf(recs), a.predictEvents(rb, rrb))
	if args.Probe != "" {
		if in.Probe, err = readProbe(args.Probe, in.Resources); err != nil {
			a.messages().Error(err)
			return exitFailed
		}
	}
	if lk, err := store.Lock(context.Background(), runtime.CurrentHolder(commandLine(a.argv)), runtime.LockOptions{}); err == nil {
		lk.Release()
	} else {
		var locked *runtime.LockedError
		in.Running = errors.As(err, &locked)
	}
	rep := report.Build(in)
	if args.View == viewJSON {
		if args.Out == "" {
			if err := writeReportJSON(a.stdout, rep); err != nil {
				a.messages().Error(err)
				return exitFailed
			}
			return exitOK
		}
		if err := atomicfile.Write(args.Out, 0o644, false, func(w io.Writer) error { return writeReportJSON(w, rep) }); err != nil {
			a.messages().NotWritten(args.Out, err)
			return exitFailed
		}
		a.messages().Written("Report data", args.Out)
		return exitOK
	}
	// In the state directory the report is its owner's alone, like the
	// journal it is made from; elsewhere it is the operator's to share.
	out := args.Out
	if out == "" {
		out, err = store.Where(runtime.ReportBlob), putReportHTML(store, rep)
	} else {
		err = writeReportHTML(out, 0o644, rep)
	}
	if err != nil {
		a.messages().NotWritten("the report", err)
		return exitFailed
	}
	a.messages().Written("Report", out)
	return exitOK
}

func hasRun(recs []runtime.Record) bool { return hasRunIn(runtime.ListOf(recs)) }

// hasRunIn is hasRun of a RecordList.
func hasRunIn(recs runtime.RecordList) bool {
	for _, r := range recs.All() {
		if r.Type == runtime.RecordRun {
			return true
		}
	}
	return false
}

// plannedRun is the plan with its events: what the report's predicted
// timeline is drawn from.
type plannedRun struct {
	res    *runtime.Result
	events []runtime.Event
	// fromRun marks the plan of a run that is its own (run_plan.go): the
	// run started from the declared cluster, which its state's snapshot
	// then holds. Its events are those changes recorded (allEvents puts
	// them in one slice).
	fromRun bool
	changes *changeRecorder
}

// allEvents is the plan's events.
func (p *plannedRun) allEvents() []runtime.Event {
	if p.events == nil && p.changes != nil {
		p.events = p.changes.events()
	}
	return p.events
}

// predictEvents is predict, keeping the events.
func (a *app) predictEvents(rb *lang.Runbook, rrb *runtime.Runbook) *plannedRun {
	p := &plannedRun{}
	s := rb.Model()
	p.res = runtime.Run(context.Background(), rrb, runtime.Options{Registry: a.registry, Driver: s, Poll: cluster.DefaultPoll, Plan: true,
		Events: func(e runtime.Event) {
			if e.Type == runtime.EventChange {
				p.events = append(p.events, e)
			}
		}})
	return p
}

// reportInput gathers what the report is built from.
func reportInput(rb *lang.Runbook, rrb *runtime.Runbook, store runtime.Store, recs runtime.RecordList, plan *plannedRun) *report.Input {
	in := declaredInput(rb, rrb, store)
	if plan == nil || !plan.fromRun {
		if snap, err := runtime.ReadSnapshot(store); err == nil {
			in.Snapshot = snap
		}
	}
	journaledInput(in, rb, recs, plan, false)
	return in
}

// declaredInput is the report's input of what the runbook declares: its
// cluster, its steps; the state's directory is store's ("" for a nil
// store: set once it is open).
func declaredInput(rb *lang.Runbook, rrb *runtime.Runbook, store runtime.Store) *report.Input {
	dir := ""
	if store != nil {
		dir = store.Where("")
	}
	in := &report.Input{
		Runbook:   report.RunbookInfo{Name: rb.Name, Version: rb.Version, Description: rb.Description, SHA256: runbookDigest(rb)},
		Cluster:   rb.ClusterName,
		StateDir:  dir,
		Home:      map[string]string{},
		Declared:  rb.Cluster.InitialStatus(),
		Nodes:     slices.Grow([]string(nil), len(rb.Cluster.Nodes)),
		Resources: slices.Grow([]string(nil), len(rb.Cluster.Resources)),
		Steps:     slices.Grow([]report.StepInfo(nil), len(rrb.Steps)),
	}
	for _, n := range rb.Cluster.Nodes {
		in.Nodes = append(in.Nodes, n.Name)
	}
	for _, r := range rb.Cluster.Resources {
		in.Resources = append(in.Resources, r.Name)
		in.Home[r.Name] = r.Home()
	}
	approval := approve.Type{}.Name()
	for _, s := range rrb.Steps {
		in.Steps = append(in.Steps, report.StepInfo{Address: s.Address, Type: s.Type, Node: stepNode(s.Args), Approval: s.Type == approval})
	}
	return in
}

// journaledInput sets the report's input of what the runs did: the
// journal's records, the driver of its first run, and the plan (whose
// events were all given to the report's Builder, when eventsGiven).
func journaledInput(in *report.Input, rb *lang.Runbook, recs runtime.RecordList, plan *plannedRun, eventsGiven bool) {
	in.Records, in.Driver = recs, ""
	for _, r := range recs.All() {
		if r.Type == runtime.RecordRun {
			in.Driver = r.Driver // as runtime.FirstDriver
			break
		}
	}
	if in.Driver == "" {
		in.Driver = rb.Driver
	}
	if plan != nil && plan.res != nil {
		in.Plan = &report.Plan{Start: plan.res.Start, End: plan.res.End, Steps: plan.res.Steps, Downtime: plan.res.Downtime}
		if !eventsGiven {
			in.Plan.Events = plan.allEvents()
		}
		in.Plan.EventsGiven = eventsGiven
	}
}

// stepNode is the node a step acts on: the first of its attributes that is
// a node, by name ("node", then "on").
func stepNode(args steps.Args) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if n, ok := args[k].(cluster.Node); ok {
			return n.Name
		}
	}
	return ""
}

// runbookDigest is the SHA-256 of the runbook's text: of its file, or, for a
// directory, of each file's name and text in name order.
func runbookDigest(rb *lang.Runbook) string {
	names := make([]string, 0, len(rb.Files))
	for n := range rb.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 1 {
		sum := sha256.Sum256(rb.Files[names[0]].Bytes)
		return hex.EncodeToString(sum[:])
	}
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\n%d\n", filepath.Base(n), len(rb.Files[n].Bytes))
		h.Write(rb.Files[n].Bytes)
	}
	return hex.EncodeToString(h.Sum(nil))
}
