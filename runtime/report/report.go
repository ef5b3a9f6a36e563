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
	Start  time.Time
	End    time.Time
	Events []runtime.Event
	// EventsGiven says, to Builder.Report, that the plan's events are those
	// given to Builder.Plan, all of them: Events is then not read (and
	// need not be made of them). Build does not read it.
	EventsGiven bool
	Steps       []runtime.StepReport
	Downtime    map[string]time.Duration
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

// Build makes the report: in one pass over the journal, while the plan's
// timeline is replayed beside it on a goroutine of its own.
func Build(in *Input) *Report {
	b := newBuilder(in)
	// The first run's start, for the plan's shift.
	var first *time.Time
	for _, r := range in.Records.All() {
		if r.Type == runtime.RecordRun {
			first = ptr(r.Time)
			break
		}
	}
	var predicted *timeline
	done := make(chan struct{})
	if in.Plan != nil {
		if first != nil {
			b.shift = first.Sub(in.Plan.Start)
		}
		b.planEvents = [][]runtime.Event{in.Plan.Events}
		go func() {
			defer close(done)
			predicted = b.predict()
		}()
	} else {
		close(done)
	}
	for _, r := range in.Records.All() {
		b.add(r)
	}
	b.endRuns()
	return b.finish(func() *timeline { <-done; return predicted })
}

// Builder makes the report of a journal's records given as they are
// journaled (Add): Report then makes the one Build makes of them all. It
// takes the nodes, resources, homes, steps and initial status (Snapshot,
// else Declared) of its Input when it is made, its other fields (but
// Records) when Report is called.
type Builder struct{ b *builder }

// NewBuilder starts the report of in's runs, whose records are given to Add.
func NewBuilder(in *Input) *Builder { return &Builder{newBuilder(in)} }

// Add takes records, those that follow the ones taken before.
func (x *Builder) Add(recs runtime.RecordList) {
	for _, r := range recs.All() {
		x.b.add(r)
	}
}

// Plan takes the next events of the plan ahead of Report, for a run that
// is its own plan: its changes, given as it makes them. The plan's
// timeline is replayed from them as they come, once the first run record
// has been taken, as from a plan that starts when that run does. Report
// replays only the Plan's events that follow them when the events taken
// are the first of the Input's Plan.Events (the same Type, Time, Step and
// Change) and that plan starts when the first run does; else it replays
// the whole plan, as it does without Plan.
func (x *Builder) Plan(events []runtime.Event) {
	b := x.b
	if len(events) == 0 {
		return
	}
	b.early.given = append(b.early.given, events)
	if b.early.tl == nil {
		if len(b.runs) == 0 {
			return
		}
		b.early.tl = newTimeline(b.in, b.lanes, b.in.Declared, b.runs[0].Start)
	}
	for ; b.early.played < len(b.early.given); b.early.played++ {
		for i := range b.early.given[b.early.played] {
			if e := &b.early.given[b.early.played][i]; e.Type == runtime.EventChange && e.Change != nil {
				b.early.tl.change(fact{time: e.Time, step: e.Step, change: e.Change})
			}
		}
	}
}

// earlyPlan is the plan's timeline replayed ahead of Report (Builder.Plan).
type earlyPlan struct {
	given  [][]runtime.Event // as given
	played int               // the slices of given replayed into tl
	tl     *timeline         // from the first run's start
}

// replayed is the timeline replayed ahead of Report and how many of the
// plan's events it holds, when they are the first of plan's and plan starts
// when the first run does (nil otherwise).
func (b *builder) replayedEarly(plan *Plan) (*timeline, int) {
	e := &b.early
	if e.tl == nil || e.played < len(e.given) || len(b.runs) == 0 || plan.Start != b.runs[0].Start {
		return nil, 0
	}
	if plan.EventsGiven {
		return e.tl, count(e.given)
	}
	n := 0
	for _, given := range e.given {
		for i := range given {
			g := &given[i]
			if n >= len(plan.Events) {
				return nil, 0
			}
			if p := &plan.Events[n]; p.Type != g.Type || p.Time != g.Time || p.Step != g.Step || p.Change != g.Change {
				return nil, 0
			}
			n++
		}
	}
	return e.tl, n
}

// Report makes the report of the records taken, with the Input's plan.
func (x *Builder) Report() *Report {
	b := x.b
	b.endRuns()
	var predicted *timeline
	done := make(chan struct{})
	if b.in.Plan != nil {
		if len(b.runs) > 0 {
			b.shift = b.runs[0].Start.Sub(b.in.Plan.Start)
		}
		b.planEvents = [][]runtime.Event{b.in.Plan.Events}
		if b.in.Plan.EventsGiven {
			b.planEvents = b.early.given
		}
		go func() {
			defer close(done)
			predicted = b.predict()
		}()
	} else {
		close(done)
	}
	return b.finish(func() *timeline { <-done; return predicted })
}

// predict replays the plan's timeline, shifted to the first run's start.
func (b *builder) predict() *timeline {
	in, shift := b.in, b.shift
	tl, from := b.replayedEarly(in.Plan)
	if tl == nil {
		tl = newTimeline(in, b.lanes, in.Declared, in.Plan.Start.Add(shift))
	}
	for _, events := range b.planEvents {
		if from >= len(events) {
			from -= len(events)
			continue
		}
		for i := from; i < len(events); i++ {
			if e := &events[i]; e.Type == runtime.EventChange && e.Change != nil {
				tl.change(fact{time: e.Time.Add(shift), step: e.Step, change: e.Change})
			}
		}
		from = 0
	}
	tl.end(in.Plan.End.Add(shift))
	return tl
}

// count is how many events there are in slices.
func count(slices [][]runtime.Event) int {
	n := 0
	for _, events := range slices {
		n += len(events)
	}
	return n
}

// builder makes a report from the journal's records, given one at a time
// (add), oldest first.
type builder struct {
	in    *Input
	lanes *laneIndex
	shift time.Duration // the plan's, to the first run's start

	runs []*run
	cur  *run

	// The steps, by address, and those started in the current run and not
	// ended, with when they started.
	stepIdx map[string]int
	steps   []Step
	open    map[string]time.Time

	// Whether each step (by index) is an approve step, and those an
	// operator answered in the current run.
	approval []bool
	answered map[string]bool
	marks    []Mark

	// The operations; in the current run, those announced and not yet
	// ended, by step and operation, and the last one of each step.
	ops opList
	// opsEnded is how many have their op-end record.
	opsEnded int
	// opSteps is where each step's stepOps are in stepOps, by address;
	// opsOpen is how many operations are announced and not yet ended.
	opSteps map[string]int
	// lastOps is the step last found in opSteps (opStep): a step's
	// records come together.
	lastOps stepAt
	// lastStep is the step last found in stepIdx (stepIndex).
	lastStep stepAt
	stepOps  []stepOps
	opsOpen  int
	// openRoom is where the steps' lists of open operations are made.
	openRoom []openOp
	// floats is where the operations' durations are made (float).
	floats []float64

	actual *timeline // made at the first run's record
	early  earlyPlan // the plan's timeline replayed ahead of Report
	// planEvents are the plan's events (the Input's, or those given to
	// Plan), in order, for predict.
	planEvents [][]runtime.Event
}

// sameAddresses reports whether the plan's steps are the input's, address
// for address, each address once.
func (b *builder) sameAddresses(plan []runtime.StepReport) bool {
	if len(plan) != len(b.in.Steps) || len(b.stepIdx) != len(b.in.Steps) {
		return false
	}
	for i := range plan {
		if plan[i].Address != b.in.Steps[i].Address {
			return false
		}
	}
	return true
}

// opList is the operations, in chunks: a long run's are not copied each
// time one slice would grow.
type opList struct {
	chunks [][]Operation
	n      int
}

const opChunk = 1024

// add appends o, and returns its index.
func (l *opList) add(o Operation) int {
	if l.n%opChunk == 0 {
		l.chunks = append(l.chunks, make([]Operation, 0, opChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, o)
	l.n++
	return l.n - 1
}

func (l *opList) at(i int) *Operation { return &l.chunks[i/opChunk][i%opChunk] }

// all is every operation in one slice (never nil).
func (l *opList) all() []Operation {
	out := make([]Operation, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c...)
	}
	return out
}

// run is one invocation.
type run struct {
	Run
	ended   bool // it has an end record
	running bool // it still runs
	// ledger is its last record that says the downtime so far: its end
	// record, or a step's record with the ledger of outages.
	ledger *ledger
}

// ledger is what a record says of the downtime so far.
type ledger struct {
	end      bool
	time     time.Time
	downtime map[string]runtime.Seconds
	outages  *runtime.Outages
}

func newBuilder(in *Input) *builder {
	b := &builder{in: in, lanes: newLaneIndex(in), stepIdx: make(map[string]int, len(in.Steps)), steps: make([]Step, len(in.Steps)),
		approval: make([]bool, len(in.Steps))}
	for i, s := range in.Steps {
		b.stepIdx[s.Address] = i
		b.steps[i] = Step{Address: s.Address, Type: s.Type, Node: s.Node, Status: "pending"}
		b.approval[i] = s.Approval
	}
	return b
}

// add takes the next record. Records before the first run record (none
// in practice) belong to no run and are left out.
func (b *builder) add(r *runtime.Record) {
	if r.Type == runtime.RecordRun {
		b.endRun()
		b.startRun(r)
	}
	cur := b.cur
	if cur == nil {
		return
	}
	if r.Time.After(cur.End) {
		cur.End = r.Time
	}
	switch r.Type {
	case runtime.RecordEnd:
		cur.ended = true
		cur.Outcome, cur.Message = r.Outcome, r.Message
		if len(r.Downtime) > 0 {
			cur.Downtime = make(map[string]float64, len(r.Downtime))
			for k, v := range r.Downtime {
				cur.Downtime[k] = float64(v)
			}
		}
		cur.ledger = &ledger{end: true, time: r.Time, downtime: r.Downtime}
	case runtime.RecordStep:
		i, known := b.stepIndex(r.Address)
		if known {
			b.stepRecord(r, i)
		}
		b.markStep(r, known && b.approval[i])
		b.opsStep(r)
		if r.Outages != nil {
			cur.ledger = &ledger{time: r.Time, outages: r.Outages}
		}
	case runtime.RecordApproval:
		b.answered[r.Address] = true
		msg := "approved by " + who(r.User, r.Host)
		if r.Answer != "yes" {
			msg = "declined by " + who(r.User, r.Host) + ": the run stopped there"
		}
		b.marks = append(b.marks, Mark{Time: r.Time, Kind: MarkApproval, Step: r.Address, Message: msg, User: r.User, Host: r.Host})
	case runtime.RecordOp:
		b.opAnnounced(r)
		b.actual.op(fact{time: r.Time, step: r.Address, op: r.Op})
	case runtime.RecordOpStarted:
		if s, ok := b.opStep(r.Address); ok {
			if i, ok := b.stepOps[s].find(r.Op); ok {
				b.ops.at(i).command = true
			}
		}
	case runtime.RecordOpEnd:
		b.opEnded(r)
	case runtime.RecordChange:
		if r.Change != nil {
			b.actual.change(fact{time: r.Time, step: r.Address, change: r.Change})
		}
	}
}

func (b *builder) startRun(r *runtime.Record) {
	cur := &run{Run: Run{Start: r.Time, End: r.Time, Command: r.Command, Driver: r.Driver, User: r.User, Host: r.Host,
		Confirmation:   r.Answer,
		RunbookVersion: r.RunbookVersion, SHA256: r.SHA256, Outcome: "killed",
		Message: "the run ended without its summary: its process was killed, or the machine stopped"}}
	if r.Answer != "--auto-approve" {
		// A run confirmed at its prompt: when (on the wall clock).
		cur.Confirmed = r.Answered
	}
	if n := len(b.runs); n > 0 {
		msg := "resumed by " + cur.Command
		if gap := cur.Start.Sub(b.runs[n-1].End); gap > 0 {
			msg += ", " + runtime.FormatDuration(gap) + " after the previous run ended"
		}
		b.marks = append(b.marks, Mark{Time: cur.Start, Kind: MarkResume, Message: msg})
	} else {
		initial := b.in.Snapshot
		if initial == nil {
			initial = b.in.Declared
		}
		b.actual = newTimeline(b.in, b.lanes, initial, cur.Start)
	}
	b.runs = append(b.runs, cur)
	b.cur = cur
	b.open, b.answered = map[string]time.Time{}, map[string]bool{}
	b.opSteps, b.stepOps, b.opsOpen = make(map[string]int, len(b.in.Steps)), make([]stepOps, 0, len(b.in.Steps)), 0
	b.lastOps = stepAt{}
}

// stepAt is a step's address and where it was found.
type stepAt struct {
	addr string
	k    int
	ok   bool
}

// find returns k when at is addr's, looked up in m else (and then kept).
func (at *stepAt) find(m map[string]int, addr string) (int, bool) {
	if at.ok && at.addr == addr {
		return at.k, true
	}
	k, ok := m[addr]
	if ok {
		*at = stepAt{addr: addr, k: k, ok: true}
	}
	return k, ok
}

// opStep is where the step at addr has its stepOps in stepOps.
func (b *builder) opStep(addr string) (int, bool) { return b.lastOps.find(b.opSteps, addr) }

// stepIndex is the index of the step at addr in the input's steps.
func (b *builder) stepIndex(addr string) (int, bool) { return b.lastStep.find(b.stepIdx, addr) }

// endRuns ends the last run, which still runs when the state is locked and
// it has no end record.
func (b *builder) endRuns() {
	if n := len(b.runs); n > 0 && b.in.Running && !b.runs[n-1].ended {
		last := b.runs[n-1]
		last.Outcome, last.Message = "running", "the run is still going on: the report shows it as far as its journal goes"
		last.running = true
	}
	b.endRun()
}

// endRun ends the current run: a step still started was cut short there.
func (b *builder) endRun() {
	r := b.cur
	if r == nil {
		return
	}
	b.cur = nil
	for addr, start := range b.open {
		s := &b.steps[b.stepIdx[addr]]
		status, msg := "interrupted", ""
		if r.ended && r.Outcome == runtime.OutcomeStopped {
			status, msg = "stopped", r.Message
		}
		a := Attempt{Start: start, End: r.End, Status: status, Seconds: r.End.Sub(start).Seconds(), Error: msg}
		s.Attempts = append(s.Attempts, a)
		s.Seconds += a.Seconds
		s.Status = "interrupted"
	}
	switch {
	case r.running:
	case !r.ended:
		b.marks = append(b.marks, Mark{Time: r.End, Kind: MarkKilled, Message: r.Message})
	case r.Outcome == runtime.OutcomeStopped:
		b.marks = append(b.marks, Mark{Time: r.End, Kind: MarkStop, Message: r.Message})
	case r.Outcome == runtime.OutcomeInterrupted:
		b.marks = append(b.marks, Mark{Time: r.End, Kind: MarkInterrupt, Message: r.Message})
	case r.Outcome != runtime.OutcomeCompleted && r.Outcome != runtime.OutcomeFailed:
		// A failure has its mark at the failed step.
		b.marks = append(b.marks, Mark{Time: r.End, Kind: MarkFailure, Message: r.Message})
	}
}

// stepRecord takes the record of step i into its attempts.
func (b *builder) stepRecord(rec *runtime.Record, i int) {
	s := &b.steps[i]
	if rec.Status == runtime.StatusStarted {
		b.open[rec.Address] = rec.Time
		s.Status = "interrupted"
		return
	}
	start := rec.Time
	if rec.Started != nil {
		start = *rec.Started
	}
	delete(b.open, rec.Address)
	a := Attempt{Start: start, End: rec.Time, Status: rec.Status, Seconds: rec.Time.Sub(start).Seconds(), Error: rec.Error}
	s.Attempts = append(s.Attempts, a)
	s.Seconds += a.Seconds
	s.Status = rec.Status
}

// markStep marks an approve step (approval) done without an answer, a
// failure and a step in doubt.
func (b *builder) markStep(rec *runtime.Record, approval bool) {
	switch {
	case rec.Status == runtime.StatusDone && approval && !b.answered[rec.Address]:
		r := b.cur
		b.marks = append(b.marks, Mark{Time: rec.Time, Kind: MarkApproval, Step: rec.Address, Message: "approved by --auto-approve (run by " + who(r.User, r.Host) + ")", User: r.User, Host: r.Host})
	case rec.Status == runtime.StatusFailed:
		b.marks = append(b.marks, Mark{Time: rec.Time, Kind: MarkFailure, Step: rec.Address, Message: "failed: " + rec.Error})
	case rec.Status == runtime.StatusInDoubt:
		b.marks = append(b.marks, Mark{Time: rec.Time, Kind: MarkInterrupt, Step: rec.Address, Message: "in doubt: " + rec.Error})
	}
}

// settleOp gives the operation i, without its op-end record, an outcome
// and a bound on its duration: until t.
func (b *builder) settleOp(i int, t time.Time, outcome, errMsg string) {
	o := b.ops.at(i)
	o.SecondsAtMost = b.float(t.Sub(o.Time).Seconds())
	o.Outcome, o.Error = outcome, errMsg
}

// float is a pointer to v, from a chunk of them: an operation's duration.
func (b *builder) float(v float64) *float64 {
	if len(b.floats) == 0 {
		b.floats = make([]float64, 1024)
	}
	p := &b.floats[0]
	*p, b.floats = v, b.floats[1:]
	return p
}

func (b *builder) opAnnounced(rec *runtime.Record) {
	k, ok := b.opStep(rec.Address)
	if !ok {
		k = len(b.stepOps)
		b.opSteps[rec.Address] = k
		b.lastOps = stepAt{addr: rec.Address, k: k, ok: true}
		if len(b.openRoom) < openRoom {
			b.openRoom = make([]openOp, openChunk)
		}
		b.stepOps = append(b.stepOps, stepOps{last: -1, open: b.openRoom[:0:openRoom]})
		b.openRoom = b.openRoom[openRoom:]
	}
	s := &b.stepOps[k]
	if i := s.last; i >= 0 && b.ops.at(i).Outcome == "unknown" && !b.ops.at(i).ended {
		// Without its op-end record (an older journal), an operation
		// followed by another of its step succeeded.
		b.settleOp(i, rec.Time, runtime.OpOK, "")
	}
	i := b.ops.add(Operation{Time: rec.Time, Step: rec.Address, Op: rec.Op, Outcome: "unknown"})
	if s.put(rec.Op, i) {
		b.opsOpen++
	}
	s.last = i
}

func (b *builder) opEnded(rec *runtime.Record) {
	k, ok := b.opStep(rec.Address)
	if !ok {
		return
	}
	i, ok := b.stepOps[k].remove(rec.Op)
	if !ok {
		return
	}
	b.opsOpen--
	o := b.ops.at(i)
	o.ended = true
	b.opsEnded++
	o.Outcome, o.Error, o.SecondsAtMost = rec.Outcome, rec.Error, nil
	o.Seconds = b.float(rec.Time.Sub(o.Time).Seconds())
	o.ExitStatus = exitStatus(o.command, rec)
}

// opsStep settles the operations of a step that ended without their op-end
// records.
func (b *builder) opsStep(rec *runtime.Record) {
	if rec.Status == runtime.StatusStarted || b.opsOpen == 0 {
		return
	}
	k, ok := b.opStep(rec.Address)
	if !ok {
		return
	}
	s := &b.stepOps[k]
	s.each(func(op string, i int) bool {
		if b.ops.at(i).ended {
			return true
		}
		b.opsOpen--
		if b.ops.at(i).Outcome == "unknown" {
			b.settleStepOp(i, s.last, rec)
		}
		return false
	})
}

// settleStepOp settles the operation i, without its op-end record, of the
// step that ended with rec, whose last operation is last.
func (b *builder) settleStepOp(i, last int, rec *runtime.Record) {
	switch {
	case i != last:
		b.settleOp(i, rec.Time, runtime.OpOK, "")
	case rec.Status == runtime.StatusFailed:
		b.settleOp(i, rec.Time, runtime.OpFailed, rec.Error)
	case rec.Status == runtime.StatusInDoubt:
		b.settleOp(i, rec.Time, runtime.OpInDoubt, rec.Error)
	default:
		b.settleOp(i, rec.Time, runtime.OpOK, "")
	}
}

// stepOps are a step's operations in the current run: the last one
// announced, and those announced and not yet ended by their text (the
// last of a text announced twice), in a short list while they are few (an
// operation mostly ends before the next is announced), in a map once they
// are many (a journal without op-end records).
type stepOps struct {
	last int // -1 before the first
	open []openOp
	many map[string]int
}

type openOp struct {
	op string
	i  int
}

const stepOpsMany = 16

// openRoom is how many open operations a step has room for before its
// first, taken from a chunk of them.
const (
	openRoom  = 2
	openChunk = 1024 * openRoom
)

// find is the open operation op.
func (s *stepOps) find(op string) (int, bool) {
	if s.many != nil {
		i, ok := s.many[op]
		return i, ok
	}
	for k := len(s.open) - 1; k >= 0; k-- {
		if s.open[k].op == op {
			return s.open[k].i, true
		}
	}
	return 0, false
}

// put makes i the open operation op, and reports whether op was not open.
func (s *stepOps) put(op string, i int) bool {
	if s.many != nil {
		_, was := s.many[op]
		s.many[op] = i
		return !was
	}
	for k := len(s.open) - 1; k >= 0; k-- {
		if s.open[k].op == op {
			s.open[k].i = i
			return false
		}
	}
	s.open = append(s.open, openOp{op, i})
	if len(s.open) > stepOpsMany {
		s.many = make(map[string]int, 2*stepOpsMany)
		for _, o := range s.open {
			s.many[o.op] = o.i
		}
		s.open = nil
	}
	return true
}

// remove ends the open operation op, and returns it.
func (s *stepOps) remove(op string) (int, bool) {
	if s.many != nil {
		i, ok := s.many[op]
		if ok {
			delete(s.many, op)
		}
		return i, ok
	}
	for k := len(s.open) - 1; k >= 0; k-- {
		if o := s.open[k]; o.op == op {
			s.open = append(s.open[:k], s.open[k+1:]...)
			return o.i, true
		}
	}
	return 0, false
}

// each calls keep with each open operation, and ends those it returns
// false for.
func (s *stepOps) each(keep func(op string, i int) bool) {
	if s.many != nil {
		for op, i := range s.many {
			if !keep(op, i) {
				delete(s.many, op)
			}
		}
		return
	}
	n := 0
	for _, o := range s.open {
		if keep(o.op, o.i) {
			s.open[n] = o
			n++
		}
	}
	clear(s.open[n:])
	s.open = s.open[:n]
}

// finish makes the report of the records taken, with the plan's timeline
// (nil for none) when replayed returns it.
func (b *builder) finish(replayed func() *timeline) *Report {
	in := b.in
	// The operations are put in one slice meanwhile.
	ops := make(chan []Operation, 1)
	go func() { ops <- b.ops.all() }()
	rep := &Report{Runbook: in.Runbook, Cluster: in.Cluster, Driver: in.Driver, StateDir: in.StateDir,
		Outcome: "not-run", StepsTotal: len(in.Steps), Runs: make([]Run, 0, len(b.runs))}
	for _, r := range b.runs {
		rep.Runs = append(rep.Runs, r.Run)
		rep.ElapsedSeconds += r.End.Sub(r.Start).Seconds()
	}
	if len(b.runs) > 0 {
		first, last := b.runs[0], b.runs[len(b.runs)-1]
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
	rep.Steps = b.steps
	for i := range rep.Steps {
		s := &rep.Steps[i]
		if len(s.Attempts) > 1 {
			sort.SliceStable(s.Attempts, func(a, c int) bool { return s.Attempts[a].Start.Before(s.Attempts[c].Start) })
		}
		if s.Status == runtime.StatusDone || s.Status == runtime.StatusSkipped {
			rep.StepsDone++
		}
	}
	sort.SliceStable(b.marks, func(i, j int) bool { return b.marks[i].Time.Before(b.marks[j].Time) })
	rep.Marks = b.marks
	if rep.Marks == nil {
		rep.Marks = []Mark{}
	}
	if b.opsEnded < b.ops.n {
		rep.Notes = append(rep.Notes, "Some operations have no outcome record in the journal (a run killed during them, or a journal older than those records): their outcome is that of their step (a failed or in-doubt step's last operation is taken as the one that failed), and their duration is at most the time to the step's next operation or end.")
	}

	// The timelines, actual and predicted.
	actual := b.actual
	if actual == nil {
		initial := in.Snapshot
		if initial == nil {
			initial = in.Declared
		}
		actual = newTimeline(in, b.lanes, initial, time.Time{})
	}
	var end time.Time
	if rep.End != nil {
		end = *rep.End
	}
	actual.end(end)
	if in.Plan != nil {
		shift := b.shift
		rep.PredictedSeconds = in.Plan.End.Sub(in.Plan.Start).Seconds()
		rep.Predicted = &PredictInfo{Start: in.Plan.Start.Add(shift), End: in.Plan.End.Add(shift), Seconds: rep.PredictedSeconds}
		// The plan's step of the report's step i: the last of its
		// address, the i-th when they are the same steps.
		same := b.sameAddresses(in.Plan.Steps)
		var planned map[string]int
		if !same {
			planned = make(map[string]int, len(in.Plan.Steps))
			for j, ps := range in.Plan.Steps {
				planned[ps.Address] = j
			}
		}
		plannedAt := func(i int) (int, bool) {
			if same {
				return i, true
			}
			j, ok := planned[rep.Steps[i].Address]
			return j, ok
		}
		starts := make([]time.Time, len(rep.Steps))
		secs := make([]float64, len(rep.Steps))
		for i := range rep.Steps {
			if j, ok := plannedAt(i); ok {
				ps := &in.Plan.Steps[j]
				starts[i], secs[i] = ps.Start.Add(shift), seconds(ps.Duration)
				rep.Steps[i].PredictedStart, rep.Steps[i].PredictedSeconds = &starts[i], &secs[i]
			}
		}
	}
	predicted := replayed()
	rep.Nodes = make([]Lane, 0, len(in.Nodes))
	for k, n := range in.Nodes {
		i := b.lanes.node(k, n)
		l := Lane{Name: n, Actual: actual.nodes[i].segs}
		if predicted != nil {
			l.Predicted = predicted.nodes[i].segs
		}
		rep.Nodes = append(rep.Nodes, l)
	}
	measured := b.measuredDowntime()
	rep.Resources = make([]Lane, 0, len(in.Resources))
	rep.Downtime = make([]Downtime, 0, len(in.Resources))
	for k, name := range in.Resources {
		i := b.lanes.resource(k, name)
		ra := &actual.resources[i]
		l := Lane{Name: name, Actual: ra.segs, Moves: ra.moves}
		d := Downtime{Resource: name, MeasuredSeconds: measured(name)}
		d.Outages = ra.outages(d.MeasuredSeconds)
		if predicted != nil {
			rp := &predicted.resources[i]
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
	if len(in.Nodes) == 0 {
		rep.Nodes = nil
	}
	if len(in.Resources) == 0 {
		rep.Resources, rep.Downtime = nil, nil
	}
	if in.Probe != nil {
		rep.Probe = &ProbeInfo{Source: in.Probe.Source}
	}
	rep.Operations = <-ops
	return rep
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
// record says, each outage still open counted to that record; for a run
// killed before its first step ended, as the run before it left it.
// It is given as the measured downtime of a resource, by name.
func (b *builder) measuredDowntime() func(resource string) float64 {
	for i := len(b.runs) - 1; i >= 0; i-- {
		l := b.runs[i].ledger
		switch {
		case l == nil:
			continue
		case l.end:
			return func(r string) float64 { return float64(l.downtime[r]) }
		}
		return func(r string) float64 {
			d := l.outages.Ended[r]
			if since, ok := l.outages.Since[r]; ok {
				d += l.time.Sub(since).Seconds()
			}
			return d
		}
	}
	return func(string) float64 { return 0 }
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
