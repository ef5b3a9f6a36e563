package report

// The report's Build as it was before it was made in one pass over the
// journal: the reference the tests hold the fast one to. It calls the
// package's small helpers that the one pass left as they were (who,
// during, nodeState, ...) rather than copies of them.

import (
	"regexp"
	"sort"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

func refPtr[T any](v T) *T { return &v }

func refSeconds(d time.Duration) float64 { return d.Seconds() }

// Build makes the report.
func refBuild(in *Input) *Report {
	rep := &Report{Runbook: in.Runbook, Cluster: in.Cluster, Driver: in.Driver, StateDir: in.StateDir,
		Outcome: "not-run", StepsTotal: len(in.Steps), Runs: []Run{}, Marks: []Mark{}, Operations: []Operation{}}
	runs := refSplitRuns(in.Records)
	if n := len(runs); n > 0 && in.Running && !runs[n-1].ended {
		runs[n-1].Outcome, runs[n-1].Message = "running", "the run is still going on: the report shows it as far as its journal goes"
		runs[n-1].running = true
	}
	for _, r := range runs {
		rep.Runs = append(rep.Runs, r.Run)
		rep.ElapsedSeconds += r.End.Sub(r.Start).Seconds()
	}
	if len(runs) > 0 {
		first, last := runs[0], runs[len(runs)-1]
		rep.Start, rep.End = refPtr(first.Start), refPtr(last.End)
		rep.Outcome, rep.Message = last.Outcome, last.Message
		if last.Driver != "" {
			rep.Driver = last.Driver
		}
		if sha := last.SHA256; sha != "" {
			rep.Runbook.Changed = in.Runbook.SHA256 != "" && sha != in.Runbook.SHA256
			rep.Runbook.SHA256 = sha
		}
		if last.RunbookVersion != "" {
			rep.Runbook.Version = last.RunbookVersion
		}
	}
	rep.Steps = refBuildSteps(in, runs)
	for _, s := range rep.Steps {
		if s.Status == runtime.StatusDone || s.Status == runtime.StatusSkipped {
			rep.StepsDone++
		}
	}
	rep.Marks = append(rep.Marks, refBuildMarks(in, runs, rep.Steps)...)
	ops, derived := refBuildOperations(runs)
	rep.Operations = ops
	if derived {
		rep.Notes = append(rep.Notes, "Some operations have no outcome record in the journal (a run killed during them, or a journal older than those records): their outcome is that of their step (a failed or in-doubt step's last operation is taken as the one that failed), and their duration is at most the time to the step's next operation or end.")
	}

	// The timelines, actual and predicted.
	initial := in.Snapshot
	if initial == nil {
		initial = in.Declared
	}
	var start, end time.Time
	if rep.Start != nil {
		start, end = *rep.Start, *rep.End
	}
	actual := refReplay(in, initial, refActualFacts(runs), start, end)
	var predicted *refTimeline
	var shift time.Duration
	if in.Plan != nil {
		if rep.Start != nil {
			shift = rep.Start.Sub(in.Plan.Start)
		}
		predicted = refReplay(in, in.Declared, refPlanFacts(in.Plan, shift), in.Plan.Start.Add(shift), in.Plan.End.Add(shift))
		rep.PredictedSeconds = in.Plan.End.Sub(in.Plan.Start).Seconds()
		rep.Predicted = &PredictInfo{Start: in.Plan.Start.Add(shift), End: in.Plan.End.Add(shift), Seconds: rep.PredictedSeconds}
		planned := make(map[string]int, len(in.Plan.Steps)) // the last of an address, by address
		for j, ps := range in.Plan.Steps {
			planned[ps.Address] = j
		}
		for i := range rep.Steps {
			if j, ok := planned[rep.Steps[i].Address]; ok {
				ps := in.Plan.Steps[j]
				rep.Steps[i].PredictedStart = refPtr(ps.Start.Add(shift))
				rep.Steps[i].PredictedSeconds = refPtr(refSeconds(ps.Duration))
			}
		}
	}
	for _, n := range in.Nodes {
		l := Lane{Name: n, Actual: actual.nodes[n].segs}
		if predicted != nil {
			l.Predicted = predicted.nodes[n].segs
		}
		rep.Nodes = append(rep.Nodes, l)
	}
	measured := refMeasuredDowntime(runs)
	for _, name := range in.Resources {
		ra := actual.resources[name]
		l := Lane{Name: name, Actual: ra.segs, Moves: ra.moves}
		d := Downtime{Resource: name, MeasuredSeconds: measured[name]}
		d.Outages = ra.outages(measured[name])
		if predicted != nil {
			rp := predicted.resources[name]
			l.Predicted = rp.segs
			d.PredictedSeconds = refSeconds(in.Plan.Downtime[name])
			d.PredictedOutages = rp.outages(d.PredictedSeconds)
		}
		if in.Probe != nil {
			if v, ok := in.Probe.Downtime[name]; ok {
				d.ProbeSeconds = refPtr(v)
			}
		}
		rep.Resources = append(rep.Resources, l)
		rep.Downtime = append(rep.Downtime, d)
	}
	if in.Probe != nil {
		rep.Probe = &ProbeInfo{Source: in.Probe.Source}
	}
	return rep
}

// run is one invocation, with its records.
type refRun struct {
	Run
	records runtime.RecordList
	ended   bool // it has an end record
	running bool // it still runs
}

// splitRuns cuts the journal at its run records. Records before the first
// run record (none in practice) belong to no run and are left out.
// A run's records are a window on recs, not a copy.
func refSplitRuns(recs runtime.RecordList) []*refRun {
	var runs []*refRun
	var cur *refRun
	first := 0 // cur's first record in recs
	for i, r := range recs.All() {
		if r.Type == runtime.RecordRun {
			first = i
			cur = &refRun{Run: Run{Start: r.Time, End: r.Time, Command: r.Command, Driver: r.Driver, User: r.User, Host: r.Host,
				Confirmation:   r.Answer,
				RunbookVersion: r.RunbookVersion, SHA256: r.SHA256, Outcome: "killed",
				Message: "the run ended without its summary: its process was killed, or the machine stopped"}}
			if r.Answer != "--auto-approve" {
				// A run confirmed at its prompt: when (on the wall clock).
				cur.Confirmed = r.Answered
			}
			runs = append(runs, cur)
		}
		if cur == nil {
			continue
		}
		cur.records = recs.Slice(first, i+1)
		if r.Time.After(cur.End) {
			cur.End = r.Time
		}
		if r.Type == runtime.RecordEnd {
			cur.ended = true
			cur.Outcome, cur.Message = r.Outcome, r.Message
			if len(r.Downtime) > 0 {
				cur.Downtime = map[string]float64{}
				for k, v := range r.Downtime {
					cur.Downtime[k] = float64(v)
				}
			}
		}
	}
	return runs
}

func refBuildSteps(in *Input, runs []*refRun) []Step {
	idx := map[string]int{}
	out := make([]Step, len(in.Steps))
	for i, s := range in.Steps {
		idx[s.Address] = i
		out[i] = Step{Address: s.Address, Type: s.Type, Node: s.Node, Status: "pending"}
	}
	for _, r := range runs {
		open := map[string]time.Time{}
		for _, rec := range r.records.All() {
			if rec.Type != runtime.RecordStep {
				continue
			}
			i, ok := idx[rec.Address]
			if !ok {
				continue
			}
			s := &out[i]
			if rec.Status == runtime.StatusStarted {
				open[rec.Address] = rec.Time
				s.Status = "interrupted"
				continue
			}
			start := rec.Time
			if rec.Started != nil {
				start = *rec.Started
			}
			delete(open, rec.Address)
			a := Attempt{Start: start, End: rec.Time, Status: rec.Status, Seconds: rec.Time.Sub(start).Seconds(), Error: rec.Error}
			s.Attempts = append(s.Attempts, a)
			s.Seconds += a.Seconds
			s.Status = rec.Status
		}
		// A step still started when its run ended was cut short there.
		for addr, start := range open {
			s := &out[idx[addr]]
			status, msg := "interrupted", ""
			if r.ended && r.Outcome == runtime.OutcomeStopped {
				status, msg = "stopped", r.Message
			}
			a := Attempt{Start: start, End: r.End, Status: status, Seconds: r.End.Sub(start).Seconds(), Error: msg}
			s.Attempts = append(s.Attempts, a)
			s.Seconds += a.Seconds
			s.Status = "interrupted"
		}
	}
	for i := range out {
		sort.SliceStable(out[i].Attempts, func(a, b int) bool { return out[i].Attempts[a].Start.Before(out[i].Attempts[b].Start) })
	}
	return out
}

func refBuildMarks(in *Input, runs []*refRun, stepsOut []Step) []Mark {
	var marks []Mark
	approval := map[string]bool{}
	for _, s := range in.Steps {
		approval[s.Address] = s.Approval
	}
	for i, r := range runs {
		if i > 0 {
			msg := "resumed by " + r.Command
			if gap := r.Start.Sub(runs[i-1].End); gap > 0 {
				msg += ", " + runtime.FormatDuration(gap) + " after the previous run ended"
			}
			marks = append(marks, Mark{Time: r.Start, Kind: MarkResume, Message: msg})
		}
		answered := map[string]bool{} // approve steps an operator answered in this run
		for _, rec := range r.records.All() {
			if rec.Type == runtime.RecordApproval {
				answered[rec.Address] = true
				msg := "approved by " + who(rec.User, rec.Host)
				if rec.Answer != "yes" {
					msg = "declined by " + who(rec.User, rec.Host) + ": the run stopped there"
				}
				marks = append(marks, Mark{Time: rec.Time, Kind: MarkApproval, Step: rec.Address, Message: msg, User: rec.User, Host: rec.Host})
				continue
			}
			if rec.Type != runtime.RecordStep {
				continue
			}
			switch {
			case rec.Status == runtime.StatusDone && approval[rec.Address] && !answered[rec.Address]:
				marks = append(marks, Mark{Time: rec.Time, Kind: MarkApproval, Step: rec.Address, Message: "approved by --auto-approve (run by " + who(r.User, r.Host) + ")", User: r.User, Host: r.Host})
			case rec.Status == runtime.StatusFailed:
				marks = append(marks, Mark{Time: rec.Time, Kind: MarkFailure, Step: rec.Address, Message: "failed: " + rec.Error})
			case rec.Status == runtime.StatusInDoubt:
				marks = append(marks, Mark{Time: rec.Time, Kind: MarkInterrupt, Step: rec.Address, Message: "in doubt: " + rec.Error})
			}
		}
		switch {
		case r.running:
		case !r.ended:
			marks = append(marks, Mark{Time: r.End, Kind: MarkKilled, Message: r.Message})
		case r.Outcome == runtime.OutcomeStopped:
			marks = append(marks, Mark{Time: r.End, Kind: MarkStop, Message: r.Message})
		case r.Outcome == runtime.OutcomeInterrupted:
			marks = append(marks, Mark{Time: r.End, Kind: MarkInterrupt, Message: r.Message})
		case r.Outcome != runtime.OutcomeCompleted && r.Outcome != runtime.OutcomeFailed:
			// A failure has its mark at the failed step.
			marks = append(marks, Mark{Time: r.End, Kind: MarkFailure, Message: r.Message})
		}
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].Time.Before(marks[j].Time) })
	return marks
}

// buildOperations lists the operations the runs' steps issued (never nil).
func refBuildOperations(runs []*refRun) (ops []Operation, derived bool) {
	n := 0
	for _, r := range runs {
		for _, rec := range r.records.All() {
			if rec.Type == runtime.RecordOp {
				n++
			}
		}
	}
	ops = make([]Operation, 0, n)
	for _, r := range runs {
		// open are the operations announced and not yet ended, by step
		// and operation; last the last one of each step.
		open := map[[2]string]int{}
		last := map[string]int{}
		settle := func(i int, t time.Time, outcome, errMsg string) {
			ops[i].SecondsAtMost = refPtr(t.Sub(ops[i].Time).Seconds())
			ops[i].Outcome, ops[i].Error = outcome, errMsg
		}
		for _, rec := range r.records.All() {
			key := [2]string{rec.Address, rec.Op}
			switch rec.Type {
			case runtime.RecordOp:
				if i, ok := last[rec.Address]; ok && ops[i].Outcome == "unknown" && !ops[i].ended {
					// Without its op-end record (an older journal), an
					// operation followed by another of its step succeeded.
					settle(i, rec.Time, runtime.OpOK, "")
				}
				ops = append(ops, Operation{Time: rec.Time, Step: rec.Address, Op: rec.Op, Outcome: "unknown"})
				open[key] = len(ops) - 1
				last[rec.Address] = len(ops) - 1
			case runtime.RecordOpStarted:
				if i, ok := open[key]; ok {
					ops[i].command = true
				}
			case runtime.RecordOpEnd:
				i, ok := open[key]
				if !ok {
					continue
				}
				delete(open, key)
				o := &ops[i]
				o.ended = true
				o.Outcome, o.Error, o.SecondsAtMost = rec.Outcome, rec.Error, nil
				o.Seconds = refPtr(rec.Time.Sub(o.Time).Seconds())
				o.ExitStatus = exitStatus(o.command, rec)
			case runtime.RecordStep:
				if rec.Status == runtime.StatusStarted {
					continue
				}
				for k, i := range open {
					if k[0] != rec.Address || ops[i].ended {
						continue
					}
					delete(open, k)
					if ops[i].Outcome != "unknown" {
						continue
					}
					switch {
					case i != last[rec.Address]:
						settle(i, rec.Time, runtime.OpOK, "")
					case rec.Status == runtime.StatusFailed:
						settle(i, rec.Time, runtime.OpFailed, rec.Error)
					case rec.Status == runtime.StatusInDoubt:
						settle(i, rec.Time, runtime.OpInDoubt, rec.Error)
					default:
						settle(i, rec.Time, runtime.OpOK, "")
					}
				}
			}
		}
	}
	for _, o := range ops {
		if !o.ended {
			derived = true
		}
	}
	return ops, derived
}

var refExitedWith = regexp.MustCompile(`exited with status (\d+)`)

// measuredDowntime is each resource's measured downtime since the state's
// first run: as the last run's summary reported it (its end record); for a
// last run that ended without one (killed), as the ledger of its last step
// record says, each outage still open counted to that record.
func refMeasuredDowntime(runs []*refRun) map[string]float64 {
	out := map[string]float64{}
	if len(runs) == 0 {
		return out
	}
	last := runs[len(runs)-1]
	for _, r := range last.records.Backward() {
		switch {
		case r.Type == runtime.RecordEnd:
			for k, v := range r.Downtime {
				out[k] = float64(v)
			}
			return out
		case r.Type == runtime.RecordStep && r.Outages != nil:
			for k, v := range r.Outages.Ended {
				out[k] = v
			}
			for k, since := range r.Outages.Since {
				out[k] += r.Time.Sub(since).Seconds()
			}
			return out
		}
	}
	// Killed before its first step ended: as the run before it left it.
	return refMeasuredDowntime(runs[:len(runs)-1])
}

// A fact is what the timeline is replayed from: a journal record, or an
// event of the plan.
type refFact struct {
	time   time.Time
	step   string
	op     string          // an operation issued
	change *runtime.Change // a change seen
}

func refActualFacts(runs []*refRun) []refFact {
	n := 0
	for _, r := range runs {
		for _, rec := range r.records.All() {
			if t := rec.Type; t == runtime.RecordOp || t == runtime.RecordChange {
				n++
			}
		}
	}
	out := make([]refFact, 0, n)
	for _, r := range runs {
		for _, rec := range r.records.All() {
			switch rec.Type {
			case runtime.RecordOp:
				out = append(out, refFact{time: rec.Time, step: rec.Address, op: rec.Op})
			case runtime.RecordChange:
				out = append(out, refFact{time: rec.Time, step: rec.Address, change: rec.Change})
			}
		}
	}
	return out
}

func refPlanFacts(p *Plan, shift time.Duration) []refFact {
	out := make([]refFact, 0, len(p.Events))
	for _, e := range p.Events {
		if e.Type == runtime.EventChange && e.Change != nil {
			out = append(out, refFact{time: e.Time.Add(shift), step: e.Step, change: e.Change})
		}
	}
	return out
}

type refNodeLane struct {
	state, version string
	since          time.Time
	segs           []Segment
}

func (l *refNodeLane) set(t time.Time, state, version string) {
	if state == l.state && version == l.version {
		return
	}
	if t.After(l.since) && l.state != "" {
		l.segs = append(l.segs, Segment{Start: l.since, End: t, State: l.state, Version: l.version})
	}
	l.state, l.version, l.since = state, version, t
}

// span is an outage seen between two status reads.
type refSpan struct {
	Start, End time.Time
	kind, step string
	reason     string
	open       bool
}

// moveAt is a move seen at one status read, with why.
type refMoveAt struct {
	Move
	step, reason string
}

type refResLane struct {
	state, node string
	since       time.Time
	segs        []Segment
	moves       []Move
	moveWhy     []refMoveAt
	spans       []refSpan
	down        *refSpan
}

func (l *refResLane) set(t time.Time, state, node string) {
	if state == l.state && node == l.node {
		return
	}
	if t.After(l.since) && l.state != "" {
		l.segs = append(l.segs, Segment{Start: l.since, End: t, State: l.state, Node: l.node})
	}
	l.state, l.node, l.since = state, node, t
}

// outages lists the resource's outages: those seen, each as long as it
// was seen, and the moves seen at one status read, which share what is
// left of total (the driver's own account of the downtime, when it keeps
// one: a move it counts as the time the resource took to move).
func (l *refResLane) outages(total float64) []Outage {
	var out []Outage
	seen := 0.0
	for _, s := range l.spans {
		seen += s.End.Sub(s.Start).Seconds()
	}
	share := 0.0
	if rest := total - seen; rest > 0 && len(l.moveWhy) > 0 {
		share = rest / float64(len(l.moveWhy))
	}
	for _, s := range l.spans {
		out = append(out, Outage{Start: s.Start, End: s.End, Seconds: s.End.Sub(s.Start).Seconds(), Kind: s.kind, Step: s.step, Reason: s.reason, Open: s.open})
	}
	for _, m := range l.moveWhy {
		d := time.Duration(share * float64(time.Second))
		out = append(out, Outage{Start: m.Time.Add(-d), End: m.Time, Seconds: share, Kind: OutageMove, Step: m.step, Reason: m.reason})
	}
	// By their end, stably, as Build once sorted them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].End.Before(out[j-1].End); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

type refTimeline struct {
	nodes     map[string]*refNodeLane
	resources map[string]*refResLane
}

// stepFacts is what a step did, for the reasons of outages. The sets are
// made at their first member (set).
type refStepFacts struct {
	left     map[string]bool // nodes that left or went down
	up       map[string]bool // nodes that came up
	migrated map[string]bool // resources it moved
	offlined map[string]bool // resources it took offline
}

// set adds name to the set m points to, making it if need be.
func refSet(m *map[string]bool, name string) {
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[name] = true
}

// replay plays the facts over the initial status; lanes run from start to
// end.
func refReplay(in *Input, initial *cluster.Status, facts []refFact, start, end time.Time) *refTimeline {
	tl := &refTimeline{nodes: map[string]*refNodeLane{}, resources: map[string]*refResLane{}}
	for _, n := range in.Nodes {
		l := &refNodeLane{since: start}
		if initial != nil {
			if ns, ok := initial.Nodes[n]; ok {
				l.state, l.version = nodeState(ns.State), ns.Version
			}
		}
		tl.nodes[n] = l
	}
	for _, r := range in.Resources {
		l := &refResLane{since: start}
		if initial != nil {
			if rs, ok := initial.Resources[r]; ok {
				l.state, l.node = rs.State, rs.Node
			}
		}
		tl.resources[r] = l
	}
	by := map[string]*refStepFacts{}
	sf := func(step string) *refStepFacts {
		if by[step] == nil {
			by[step] = &refStepFacts{}
		}
		return by[step]
	}
	for _, f := range facts {
		switch {
		case f.op != "":
			op, target, ok := twoFields(f.op)
			if !ok {
				continue
			}
			s := sf(f.step)
			switch op {
			case cluster.OpLeave:
				refSet(&s.left, target)
				if l := tl.nodes[target]; l != nil && l.state == NodeUp {
					l.set(f.time, NodeLeaving, l.version)
				}
			case cluster.OpUpgrade:
				refSet(&s.left, target)
				if l := tl.nodes[target]; l != nil {
					l.set(f.time, NodeUpgrading, l.version)
				}
			case cluster.OpMigrate:
				refSet(&s.migrated, target)
				if l := tl.resources[target]; l != nil && l.state == cluster.ResourceRunning {
					l.set(f.time, ResourceMoving, l.node)
				}
			case cluster.OpOffline:
				refSet(&s.offlined, target)
			}
		case f.change != nil:
			tl.change(in, f, sf(f.step))
		}
	}
	for _, l := range tl.nodes {
		l.set(end, "", "")
		upgrades(l.segs)
	}
	for _, l := range tl.resources {
		if l.down != nil {
			l.down.End, l.down.open = maxTime(end, l.down.Start), true
			l.spans = append(l.spans, *l.down)
			l.down = nil
		}
		l.set(end, "", "")
	}
	return tl
}

func (tl *refTimeline) change(in *Input, f refFact, s *refStepFacts) {
	c := f.change
	switch c.Kind {
	case runtime.ChangeNode:
		l := tl.nodes[c.Name]
		if l == nil {
			return
		}
		switch {
		case c.ToState == "":
			l.set(f.time, NodeGone, c.FromVersion)
		case c.ToState == cluster.NodeUp:
			if c.FromState != cluster.NodeUp {
				refSet(&s.up, c.Name)
			}
			l.set(f.time, NodeUp, c.ToVersion)
		default:
			refSet(&s.left, c.Name)
			state := NodeDown
			switch {
			case l.state == NodeUpgrading && c.ToVersion != c.FromVersion:
				state = NodeRejoining
			case l.state == NodeUpgrading || l.state == NodeRejoining:
				state = l.state
			}
			l.set(f.time, state, c.ToVersion)
		}
	case runtime.ChangeResource:
		l := tl.resources[c.Name]
		if l == nil {
			return
		}
		wasUp := c.FromState == cluster.ResourceRunning
		isUp := c.ToState == cluster.ResourceRunning
		switch {
		case wasUp && isUp && c.FromNode != c.ToNode:
			l.moves = append(l.moves, Move{Time: f.time, From: c.FromNode, To: c.ToNode})
			l.moveWhy = append(l.moveWhy, refMoveAt{Move: Move{Time: f.time, From: c.FromNode, To: c.ToNode}, step: f.step, reason: refMoveReason(in, c, f.step, s)})
		case wasUp && !isUp:
			kind, why := refOutageReason(c, f.step, s)
			l.down = &refSpan{Start: f.time, kind: kind, step: f.step, reason: why}
		case !wasUp && isUp && l.down != nil:
			l.down.End = f.time
			if c.FromNode != "" && c.ToNode != c.FromNode {
				l.down.reason += "; back on " + c.ToNode
			}
			l.spans = append(l.spans, *l.down)
			l.down = nil
		}
		switch c.ToState {
		case "":
			l.set(f.time, ResourceGone, c.FromNode)
		default:
			l.set(f.time, c.ToState, c.ToNode)
		}
	}
}

func refMoveReason(in *Input, c *runtime.Change, step string, s *refStepFacts) string {
	home := in.Home[c.Name]
	move := c.FromNode + " → " + c.ToNode
	switch {
	case s.left[c.FromNode]:
		return "failover " + move + ": " + c.FromNode + " left the cluster " + during(step)
	case s.migrated[c.Name] && c.ToNode == home:
		return "failback " + move + ", moved by " + step
	case s.migrated[c.Name]:
		return "moved " + move + " by " + step
	case c.ToNode == home && s.up[home]:
		return "failback " + move + " by itself as " + home + " rejoined, " + during(step)
	case c.ToNode == home:
		return "failback " + move + " by itself, " + during(step)
	}
	return "moved " + move + " " + during(step)
}

func refOutageReason(c *runtime.Change, step string, s *refStepFacts) (kind, why string) {
	switch {
	case c.ToState == cluster.ResourceUpgrade:
		return OutageUpgrade, "offline for the media upgrade (state upgrade), taken by " + step
	case c.Unplanned:
		return OutageUnplanned, "went " + c.ToState + " by itself on " + c.FromNode + " " + during(step) + " (unplanned)"
	case s.offlined[c.Name]:
		return OutageOffline, "taken " + c.ToState + " by " + step
	}
	return OutageOffline, c.ToState + " on " + c.FromNode + " " + during(step)
}
