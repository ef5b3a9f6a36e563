package report

import (
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

// Input is what a report is built from.
type Input struct {
	Runbook RunbookInfo
	Cluster string
	// Driver is the driver of the state directory's runs (the first run
	// record's, when there is one).
	Driver   string
	StateDir string
	// Nodes and Resources are the declared ones, in declaration order;
	// Home gives each resource's home node (first preferred).
	Nodes     []string
	Resources []string
	Home      map[string]string
	// Steps are the runbook's steps in run order.
	Steps []StepInfo
	// Declared is the cluster as the runbook declares it; Snapshot is the
	// cluster before the first step, nil when no step ran.
	Declared *cluster.Status
	Snapshot *cluster.Status
	Records  runtime.RecordList
	// Plan is the prediction, nil if there is none.
	Plan *Plan
	// Running is set when a run holds the state's lock: its last
	// invocation is still going on.
	Running bool
	// Probe is a measurement of the resources' downtime taken outside
	// runbook (a client polling each service), laid beside the journal's;
	// nil if there is none.
	Probe *Probe
}

// Probe is an external measurement of downtime: what measured it, and the
// seconds each resource it watched was unreachable.
type Probe struct {
	Source   string             `json:"source"`
	Downtime map[string]float64 `json:"downtime_seconds"`
}

// StepInfo is a step of the runbook.
type StepInfo struct {
	Address string
	Type    string
	// Node is the node the step acts on, "" for a step on the whole cluster.
	Node string
	// Approval marks a step that asks the operator.
	Approval bool
}

// Plan is the run the plan predicts: the events of a run of the steps on a
// fresh simulator of the declared cluster.
type Plan struct {
	Start    time.Time
	End      time.Time
	Events   []runtime.Event
	Steps    []runtime.StepReport
	Downtime map[string]time.Duration
}

// Report is the report of the runs of one state directory.
type Report struct {
	Runbook  RunbookInfo `json:"runbook"`
	Cluster  string      `json:"cluster"`
	Driver   string      `json:"driver"`
	StateDir string      `json:"state_dir"`
	// Outcome is the last invocation's outcome (runtime.Outcome*), "killed"
	// when it ended without a summary, "not-run" when nothing ran.
	Outcome string     `json:"outcome"`
	Message string     `json:"message,omitempty"`
	Start   *time.Time `json:"start,omitempty"`
	End     *time.Time `json:"end,omitempty"`
	// ElapsedSeconds adds up the runs' durations (not the gaps between them).
	ElapsedSeconds   float64 `json:"elapsed_seconds"`
	PredictedSeconds float64 `json:"predicted_seconds"`
	StepsDone        int     `json:"steps_done"`
	StepsTotal       int     `json:"steps_total"`

	Runs       []Run        `json:"runs"`
	Steps      []Step       `json:"steps"`
	Marks      []Mark       `json:"marks"`
	Nodes      []Lane       `json:"nodes"`
	Resources  []Lane       `json:"resources"`
	Downtime   []Downtime   `json:"downtime"`
	Operations []Operation  `json:"operations"`
	Notes      []string     `json:"notes,omitempty"`
	Predicted  *PredictInfo `json:"predicted,omitempty"`
	// Probe says what measured the downtime's probe column, when there is
	// one.
	Probe *ProbeInfo `json:"probe,omitempty"`
}

// ProbeInfo is the source of an external measurement of downtime.
type ProbeInfo struct {
	Source string `json:"source"`
}

// RunbookInfo identifies the runbook.
type RunbookInfo struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	// SHA256 is the hash of the runbook's text the last run ran (as its
	// run record says), or of the text now when no run recorded one.
	SHA256 string `json:"sha256,omitempty"`
	// Changed is set when the text now differs from what the last run ran.
	Changed bool `json:"changed_since_run,omitempty"`
}

// PredictInfo is where the plan's timeline starts: the plan is simulated
// from its own start, and drawn from the first run's.
type PredictInfo struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
}

// Run is one invocation of `runbook run` that got to its first step.
type Run struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Command string    `json:"command,omitempty"`
	// User and Host are who ran it, where; Confirmation how the run was
	// confirmed ("yes" at its prompt, or "--auto-approve"), at Confirmed
	// (the wall clock's time of the answer at the prompt).
	User           string             `json:"user,omitempty"`
	Host           string             `json:"host,omitempty"`
	Confirmation   string             `json:"confirmation,omitempty"`
	Confirmed      *time.Time         `json:"confirmed,omitempty"`
	Driver         string             `json:"driver,omitempty"`
	RunbookVersion string             `json:"runbook_version,omitempty"`
	SHA256         string             `json:"sha256,omitempty"`
	Outcome        string             `json:"outcome"`
	Message        string             `json:"message,omitempty"`
	Downtime       map[string]float64 `json:"downtime_seconds,omitempty"`
}

// Step is a step of the runbook and what the runs did of it.
type Step struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Node    string `json:"node,omitempty"`
	// Status is the step's last status: done, skipped, failed, in-doubt,
	// interrupted (started, and its run ended without its outcome) or
	// pending.
	Status   string    `json:"status"`
	Attempts []Attempt `json:"attempts,omitempty"`
	// Seconds adds up its attempts.
	Seconds          float64    `json:"seconds"`
	PredictedStart   *time.Time `json:"predicted_start,omitempty"`
	PredictedSeconds *float64   `json:"predicted_seconds,omitempty"`
}

// Attempt is one run of a step.
type Attempt struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Status  string    `json:"status"`
	Seconds float64   `json:"seconds"`
	Error   string    `json:"error,omitempty"`
}

// Mark kinds.
const (
	MarkApproval  = "approval"
	MarkStop      = "stop"
	MarkFailure   = "failure"
	MarkInterrupt = "interrupt"
	MarkResume    = "resume"
	MarkKilled    = "killed"
)

// Mark is an instant of the timeline worth a line across it.
type Mark struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Step    string    `json:"step,omitempty"`
	Message string    `json:"message"`
	// User and Host are who answered an approval.
	User string `json:"user,omitempty"`
	Host string `json:"host,omitempty"`
}

// Lane is the history of one node or resource.
type Lane struct {
	Name      string    `json:"name"`
	Actual    []Segment `json:"actual"`
	Predicted []Segment `json:"predicted,omitempty"`
	// Moves are the resource's moves between nodes seen between two status
	// reads (its outage too short to be seen).
	Moves []Move `json:"moves,omitempty"`
}

// Node lane states.
const (
	NodeUp        = "up"
	NodeLeaving   = "leaving"
	NodeDown      = "down"
	NodeUpgrading = "upgrading"
	NodeRejoining = "rejoining"
	NodeGone      = "gone"
)

// Resource lane states, besides the resource states of package steps
// (running, offline, upgrade, comatose).
const (
	ResourceMoving = "moving"
	ResourceGone   = "gone"
)

// Segment is a span of time a node or resource spent in one state.
type Segment struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	State string    `json:"state"`
	// Node is where a resource runs (or last ran); Version a node's.
	Node    string `json:"node,omitempty"`
	Version string `json:"version,omitempty"`
}

// Move is a resource's move seen at one status read.
type Move struct {
	Time time.Time `json:"time"`
	From string    `json:"from"`
	To   string    `json:"to"`
}

// Downtime is one resource's downtime.
type Downtime struct {
	Resource         string  `json:"resource"`
	PredictedSeconds float64 `json:"predicted_seconds"`
	MeasuredSeconds  float64 `json:"measured_seconds"`
	// ProbeSeconds is the external probe's measurement, nil when it did
	// not watch the resource (or there is no probe).
	ProbeSeconds     *float64 `json:"probe_seconds,omitempty"`
	Outages          []Outage `json:"outages,omitempty"`
	PredictedOutages []Outage `json:"predicted_outages,omitempty"`
}

// Outage kinds.
const (
	OutageMove      = "move"
	OutageUpgrade   = "media-upgrade"
	OutageOffline   = "offline"
	OutageUnplanned = "unplanned"
)

// Outage is one span of a resource's downtime.
type Outage struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
	Kind    string    `json:"kind"`
	Step    string    `json:"step,omitempty"`
	Reason  string    `json:"reason"`
	// Open marks an outage still going on when the report ends.
	Open bool `json:"open,omitempty"`
}

// Operation is a driver operation a step issued.
type Operation struct {
	Time time.Time `json:"time"`
	Step string    `json:"step"`
	Op   string    `json:"op"`
	// Outcome is "ok", "failed", "in-doubt" or "unknown" (its run ended
	// before the step did).
	Outcome string `json:"outcome"`
	// Seconds is how long the operation took, from its announcement to
	// its outcome's record; without that record, SecondsAtMost bounds it:
	// until the step's next operation or its end.
	Seconds       *float64 `json:"seconds,omitempty"`
	SecondsAtMost *float64 `json:"seconds_at_most,omitempty"`
	// ExitStatus is its command's exit status, when the journal has it.
	ExitStatus *int   `json:"exit_status,omitempty"`
	Error      string `json:"error,omitempty"`

	command, ended bool
}

func ptr[T any](v T) *T { return &v }

func seconds(d time.Duration) float64 { return d.Seconds() }

// Build makes the report.
func Build(in *Input) *Report {
	rep := &Report{Runbook: in.Runbook, Cluster: in.Cluster, Driver: in.Driver, StateDir: in.StateDir,
		Outcome: "not-run", StepsTotal: len(in.Steps), Runs: []Run{}, Marks: []Mark{}, Operations: []Operation{}}
	runs := splitRuns(in.Records)
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
		rep.Start, rep.End = ptr(first.Start), ptr(last.End)
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
	rep.Steps = buildSteps(in, runs)
	for _, s := range rep.Steps {
		if s.Status == runtime.StatusDone || s.Status == runtime.StatusSkipped {
			rep.StepsDone++
		}
	}
	rep.Marks = append(rep.Marks, buildMarks(in, runs, rep.Steps)...)
	ops, derived := buildOperations(runs)
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
	actual := replay(in, initial, actualFacts(runs), start, end)
	var predicted *timeline
	var shift time.Duration
	if in.Plan != nil {
		if rep.Start != nil {
			shift = rep.Start.Sub(in.Plan.Start)
		}
		predicted = replay(in, in.Declared, planFacts(in.Plan, shift), in.Plan.Start.Add(shift), in.Plan.End.Add(shift))
		rep.PredictedSeconds = in.Plan.End.Sub(in.Plan.Start).Seconds()
		rep.Predicted = &PredictInfo{Start: in.Plan.Start.Add(shift), End: in.Plan.End.Add(shift), Seconds: rep.PredictedSeconds}
		planned := make(map[string]int, len(in.Plan.Steps)) // the last of an address, by address
		for j, ps := range in.Plan.Steps {
			planned[ps.Address] = j
		}
		for i := range rep.Steps {
			if j, ok := planned[rep.Steps[i].Address]; ok {
				ps := in.Plan.Steps[j]
				rep.Steps[i].PredictedStart = ptr(ps.Start.Add(shift))
				rep.Steps[i].PredictedSeconds = ptr(seconds(ps.Duration))
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
	measured := measuredDowntime(runs)
	for _, name := range in.Resources {
		ra := actual.resources[name]
		l := Lane{Name: name, Actual: ra.segs, Moves: ra.moves}
		d := Downtime{Resource: name, MeasuredSeconds: measured[name]}
		d.Outages = ra.outages(measured[name])
		if predicted != nil {
			rp := predicted.resources[name]
			l.Predicted = rp.segs
			d.PredictedSeconds = seconds(in.Plan.Downtime[name])
			d.PredictedOutages = rp.outages(d.PredictedSeconds)
		}
		if in.Probe != nil {
			if v, ok := in.Probe.Downtime[name]; ok {
				d.ProbeSeconds = ptr(v)
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
type run struct {
	Run
	records runtime.RecordList
	ended   bool // it has an end record
	running bool // it still runs
}

// splitRuns cuts the journal at its run records. Records before the first
// run record (none in practice) belong to no run and are left out.
// A run's records are a window on recs, not a copy.
func splitRuns(recs runtime.RecordList) []*run {
	var runs []*run
	var cur *run
	first := 0 // cur's first record in recs
	for i, r := range recs.All() {
		if r.Type == runtime.RecordRun {
			first = i
			cur = &run{Run: Run{Start: r.Time, End: r.Time, Command: r.Command, Driver: r.Driver, User: r.User, Host: r.Host,
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

func buildSteps(in *Input, runs []*run) []Step {
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

func buildMarks(in *Input, runs []*run, stepsOut []Step) []Mark {
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
func buildOperations(runs []*run) (ops []Operation, derived bool) {
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
			ops[i].SecondsAtMost = ptr(t.Sub(ops[i].Time).Seconds())
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
				o.Seconds = ptr(rec.Time.Sub(o.Time).Seconds())
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

var exitedWith = regexp.MustCompile(`exited with status (\d+)`)

// exitStatus is the exit status of an operation's command, when it ran one
// (its op-started record) or its error says it.
func exitStatus(command bool, end *runtime.Record) *int {
	if m := exitedWith.FindStringSubmatch(end.Error); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return &n
		}
	}
	if command && end.Outcome == runtime.OpOK {
		return ptr(0)
	}
	return nil
}

// measuredDowntime is each resource's measured downtime since the state's
// first run: as the last run's summary reported it (its end record); for a
// last run that ended without one (killed), as the ledger of its last step
// record says, each outage still open counted to that record.
func measuredDowntime(runs []*run) map[string]float64 {
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
	return measuredDowntime(runs[:len(runs)-1])
}

// who names a user at a host.
func who(user, host string) string {
	switch {
	case user == "" && host == "":
		return "an unknown user"
	case host == "":
		return user
	}
	return user + "@" + host
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
