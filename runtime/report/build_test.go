package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

// Build makes, in one pass over the journal and with the plan replayed
// beside it, the report the plain implementation it replaced makes
// (build_ref_test.go), for journals of every shape: several runs, killed,
// stopped, interrupted or still running, failed and in-doubt steps,
// operations without their outcome, approvals, unknown steps, nodes and
// resources, records before the first run, with a plan and a snapshot or
// without.
func TestBuildMatchesReference(t *testing.T) {
	for seed := range uint64(400) {
		in := randomInput(rand.New(rand.NewPCG(seed, 7)))
		want, got := jsonOf(t, refBuild(in)), jsonOf(t, Build(in))
		if !bytes.Equal(want, got) {
			t.Fatalf("seed %d: Build differs from the reference:\n%s", seed, firstDiff(want, got))
		}
	}
}

// The same with a step that announces many operations, more than a few at
// a time without their op-end records (some announced twice), before it
// ends: they outgrow a step's short list of open operations.
func TestBuildMatchesReferenceManyOps(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		in := randomInput(r)
		if len(in.Steps) == 0 {
			continue
		}
		var recs []runtime.Record
		for _, rec := range in.Records.All() {
			recs = append(recs, *rec)
		}
		now := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
		if n := len(recs); n > 0 {
			now = recs[n-1].Time
		}
		addr := in.Steps[r.IntN(len(in.Steps))].Address
		for k := range 10 + r.IntN(60) {
			now = now.Add(time.Duration(r.IntN(3)) * time.Second)
			o := fmt.Sprintf("offline RX%d", r.IntN(40))
			recs = append(recs, runtime.Record{Type: runtime.RecordOp, Time: now, Address: addr, Op: o})
			if r.IntN(3) == 0 {
				recs = append(recs, runtime.Record{Type: runtime.RecordOpStarted, Time: now, Address: addr, Op: o, Pgid: 7})
			}
			if r.IntN(4) == 0 {
				ended := fmt.Sprintf("offline RX%d", r.IntN(40))
				recs = append(recs, runtime.Record{Type: runtime.RecordOpEnd, Time: now.Add(time.Second), Address: addr, Op: ended, Outcome: runtime.OpOK})
			}
			if k%25 == 24 && r.IntN(2) == 0 {
				recs = append(recs, runtime.Record{Type: runtime.RecordStep, Time: now, Address: addr, Status: runtime.StatusStarted})
			}
		}
		recs = append(recs, runtime.Record{Type: runtime.RecordStep, Time: now.Add(time.Minute), Address: addr,
			Status: []string{runtime.StatusDone, runtime.StatusFailed, runtime.StatusInDoubt}[r.IntN(3)], Error: "it broke"})
		in.Records = runtime.ListOf(recs)
		want, got := jsonOf(t, refBuild(in)), jsonOf(t, Build(in))
		if !bytes.Equal(want, got) {
			t.Fatalf("seed %d: Build differs from the reference:\n%s", seed, firstDiff(want, got))
		}
	}
}

// The same for an empty journal, and one of a runbook without nodes or
// resources.
func TestBuildOfNothing(t *testing.T) {
	in := randomInput(rand.New(rand.NewPCG(1, 1)))
	in.Records = runtime.RecordList{}
	if want, got := jsonOf(t, refBuild(in)), jsonOf(t, Build(in)); !bytes.Equal(want, got) {
		t.Fatalf("no records: Build differs from the reference:\n%s", firstDiff(want, got))
	}
	in.Nodes, in.Resources = nil, nil
	if want, got := jsonOf(t, refBuild(in)), jsonOf(t, Build(in)); !bytes.Equal(want, got) {
		t.Fatalf("no records, nodes or resources: Build differs from the reference:\n%s", firstDiff(want, got))
	}
}

func jsonOf(t *testing.T, rep *Report) []byte {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firstDiff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-300)
	return fmt.Sprintf("reference: …%s\nBuild:     …%s", want[from:min(len(want), i+200)], got[from:min(len(got), i+200)])
}

// randomInput is a journal of a few runs over a small cluster, its records
// drawn at random but in the shapes a run writes them.
func randomInput(r *rand.Rand) *Input {
	t0 := time.Date(2026, 3, 14, 22, 0, 0, 0, time.UTC)
	now := t0
	tick := func() time.Time {
		if r.IntN(4) > 0 {
			now = now.Add(time.Duration(r.IntN(90)) * time.Second)
		}
		return now
	}
	ptrT := func(t time.Time) *time.Time { return &t }
	nNodes, nRes := 1+r.IntN(4), r.IntN(5)
	var nodes, res []string
	for i := range nNodes {
		nodes = append(nodes, fmt.Sprintf("N%d", i))
	}
	if r.IntN(8) == 0 {
		nodes = append(nodes, "N0") // declared twice
	}
	for i := range nRes {
		res = append(res, fmt.Sprintf("R%d", i))
	}
	if nRes > 0 && r.IntN(8) == 0 {
		res = append(res, "R0") // declared twice
	}
	pick := func(names []string, unknown string) string {
		if len(names) == 0 || r.IntN(12) == 0 {
			return unknown
		}
		return names[r.IntN(len(names))]
	}
	home := map[string]string{}
	declared := &cluster.Status{Nodes: map[string]cluster.NodeStatus{}, Resources: map[string]cluster.ResourceStatus{}}
	for _, n := range nodes {
		declared.Nodes[n] = cluster.NodeStatus{State: []string{cluster.NodeUp, cluster.NodeUp, "down"}[r.IntN(3)], Version: "1"}
	}
	for _, x := range res {
		home[x] = pick(nodes, "NX")
		declared.Resources[x] = cluster.ResourceStatus{State: []string{cluster.ResourceRunning, cluster.ResourceRunning, "offline"}[r.IntN(3)], Node: home[x]}
	}
	var steps []StepInfo
	for i := range 2 + r.IntN(5) {
		steps = append(steps, StepInfo{Address: fmt.Sprintf("s%d", i), Type: "t", Node: pick(nodes, ""), Approval: r.IntN(4) == 0})
	}
	if r.IntN(8) == 0 {
		steps = append(steps, steps[0]) // an address twice
	}
	step := func() string {
		if r.IntN(10) == 0 {
			return []string{"", "unknown-step"}[r.IntN(2)]
		}
		return steps[r.IntN(len(steps))].Address
	}
	nodeState := map[string][2]string{}
	for n, s := range declared.Nodes {
		nodeState[n] = [2]string{s.State, s.Version}
	}
	resState := map[string][2]string{}
	for x, s := range declared.Resources {
		resState[x] = [2]string{s.State, s.Node}
	}
	change := func(st string) *runtime.Change {
		if r.IntN(2) == 0 && len(nodes) > 0 {
			n := pick(nodes, "NX")
			from := nodeState[n]
			to := [2]string{[]string{cluster.NodeUp, "down", "leaving", ""}[r.IntN(4)], []string{"1", "2"}[r.IntN(2)]}
			nodeState[n] = to
			return &runtime.Change{Kind: runtime.ChangeNode, Name: n, FromState: from[0], ToState: to[0], FromVersion: from[1], ToVersion: to[1]}
		}
		x := pick(res, "RX")
		from := resState[x]
		to := [2]string{[]string{cluster.ResourceRunning, cluster.ResourceRunning, "offline", cluster.ResourceUpgrade, ""}[r.IntN(5)], pick(nodes, "NX")}
		resState[x] = to
		return &runtime.Change{Kind: runtime.ChangeResource, Name: x, FromState: from[0], ToState: to[0], FromNode: from[1], ToNode: to[1], Unplanned: r.IntN(6) == 0}
	}
	op := func() string {
		switch r.IntN(7) {
		case 0:
			return "leave " + pick(nodes, "NX")
		case 1:
			return "upgrade " + pick(nodes, "NX") + " 2"
		case 2:
			return "migrate " + pick(res, "RX") + " " + pick(nodes, "NX")
		case 3:
			return "offline " + pick(res, "RX")
		case 4:
			return "online " + pick(res, "RX")
		case 5:
			return ""
		}
		return "  leave\t" + pick(nodes, "NX")
	}
	var recs []runtime.Record
	if r.IntN(10) == 0 {
		recs = append(recs, runtime.Record{Type: runtime.RecordStep, Time: tick(), Address: step(), Status: runtime.StatusStarted})
	}
	users := []string{"alice", "bob", ""}
	for range 1 + r.IntN(3) {
		now = now.Add(time.Duration(r.IntN(3)) * time.Hour)
		answer := []string{"yes", "--auto-approve"}[r.IntN(2)]
		recs = append(recs, runtime.Record{Type: runtime.RecordRun, Time: tick(), Driver: []string{"sim", "exec", ""}[r.IntN(3)], Command: "runbook run a.hcl",
			User: users[r.IntN(3)], Host: []string{"ops1", ""}[r.IntN(2)], Answer: answer, Answered: ptrT(now),
			RunbookVersion: []string{"", "1.0"}[r.IntN(2)], SHA256: []string{"", "abc", "def"}[r.IntN(3)]})
		for range r.IntN(30) {
			s := step()
			switch r.IntN(9) {
			case 0, 1:
				recs = append(recs, runtime.Record{Type: runtime.RecordStep, Time: tick(), Address: s, Status: runtime.StatusStarted})
			case 2:
				status := []string{runtime.StatusDone, runtime.StatusDone, runtime.StatusFailed, runtime.StatusInDoubt, runtime.StatusSkipped}[r.IntN(5)]
				rec := runtime.Record{Type: runtime.RecordStep, Time: tick(), Address: s, Status: status}
				if r.IntN(2) == 0 {
					rec.Started = ptrT(now.Add(-time.Duration(r.IntN(100)) * time.Second))
				}
				if status == runtime.StatusFailed || status == runtime.StatusInDoubt {
					rec.Error = "it broke <badly> & \"so\""
				}
				if r.IntN(2) == 0 && len(res) > 0 {
					rec.Outages = &runtime.Outages{Ended: map[string]float64{pick(res, "RX"): float64(r.IntN(50))}}
					if r.IntN(2) == 0 {
						rec.Outages.Since = map[string]time.Time{pick(res, "RX"): now.Add(-time.Duration(r.IntN(60)) * time.Second)}
					}
				}
				recs = append(recs, rec)
			case 3, 4:
				o := op()
				recs = append(recs, runtime.Record{Type: runtime.RecordOp, Time: tick(), Address: s, Op: o})
				if r.IntN(3) == 0 {
					recs = append(recs, runtime.Record{Type: runtime.RecordOpStarted, Time: tick(), Address: s, Op: o, Pgid: 7})
				}
				if r.IntN(3) > 0 {
					rec := runtime.Record{Type: runtime.RecordOpEnd, Time: tick(), Address: s, Op: o, Outcome: []string{runtime.OpOK, runtime.OpOK, runtime.OpFailed, runtime.OpInDoubt}[r.IntN(4)]}
					if rec.Outcome == runtime.OpFailed {
						rec.Error = fmt.Sprintf("command exited with status %d", r.IntN(4))
					}
					recs = append(recs, rec)
				}
			case 5, 6, 7:
				recs = append(recs, runtime.Record{Type: runtime.RecordChange, Time: tick(), Address: s, Change: change(s)})
			case 8:
				recs = append(recs, runtime.Record{Type: runtime.RecordApproval, Time: tick(), Address: s, User: users[r.IntN(3)], Host: "ops2", Answer: []string{"yes", "no"}[r.IntN(2)]})
			}
		}
		if r.IntN(3) > 0 {
			rec := runtime.Record{Type: runtime.RecordEnd, Time: tick(),
				Outcome: []string{runtime.OutcomeCompleted, runtime.OutcomeStopped, runtime.OutcomeFailed, runtime.OutcomeInterrupted, "drift"}[r.IntN(5)], Message: "it ended"}
			if r.IntN(2) == 0 && len(res) > 0 {
				rec.Downtime = map[string]runtime.Seconds{pick(res, "RX"): runtime.Seconds(r.IntN(100))}
			}
			recs = append(recs, rec)
		}
	}
	in := &Input{Runbook: RunbookInfo{Name: "rb", SHA256: []string{"", "abc"}[r.IntN(2)]}, Cluster: "C", Driver: "sim", StateDir: "/s",
		Nodes: nodes, Resources: res, Home: home, Steps: steps, Declared: declared, Records: runtime.ListOf(recs), Running: r.IntN(3) == 0}
	if r.IntN(2) == 0 {
		in.Snapshot = declared
	}
	if r.IntN(3) > 0 {
		p := &Plan{Start: t0.Add(-time.Duration(r.IntN(5)) * time.Hour), Downtime: map[string]time.Duration{}}
		pt := p.Start
		every := r.IntN(3) == 0 // a plan of every step, in order
		for i, s := range steps {
			if !every && r.IntN(5) == 0 {
				continue
			}
			p.Steps = append(p.Steps, runtime.StepReport{Address: s.Address, Start: pt, Duration: time.Duration(i+1) * time.Minute})
			for range r.IntN(4) {
				pt = pt.Add(time.Duration(r.IntN(60)) * time.Second)
				p.Events = append(p.Events, runtime.Event{Type: runtime.EventChange, Time: pt, Step: s.Address, Change: change(s.Address)})
			}
			if r.IntN(4) == 0 {
				p.Events = append(p.Events, runtime.Event{Type: runtime.EventChange, Time: pt, Step: s.Address})
			}
		}
		p.End = pt.Add(time.Minute)
		for _, x := range res {
			p.Downtime[x] = time.Duration(r.IntN(100)) * time.Second
		}
		in.Plan = p
	}
	if r.IntN(4) == 0 {
		in.Probe = &Probe{Source: "probe", Downtime: map[string]float64{pick(res, "RX"): 3}}
	}
	return in
}

// A stepSet holds what a map would, from a few steps to many, the empty
// step ("between steps") among them.
func TestStepSet(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for round := range 200 {
		var s stepSet
		want := map[string]bool{}
		distinct := 1 + r.IntN(80)
		for range r.IntN(300) {
			step := ""
			if k := r.IntN(distinct); k > 0 {
				step = fmt.Sprintf("s%d", k)
			}
			if r.IntN(2) == 0 {
				s.add(step)
				want[step] = true
			}
			for k := range distinct {
				q := ""
				if k > 0 {
					q = fmt.Sprintf("s%d", k)
				}
				if s.has(q) != want[q] {
					t.Fatalf("round %d: has(%q) = %v; want %v", round, q, s.has(q), want[q])
				}
			}
		}
	}
}

// A Builder given the records a few at a time, its plan only at the end,
// makes the report Build makes of them all.
func TestBuilderMatchesBuild(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 8))
		in := randomInput(r)
		want := jsonOf(t, Build(in))
		later := *in
		later.Plan, later.Records, later.Probe, later.Driver = nil, runtime.RecordList{}, nil, ""
		b := NewBuilder(&later)
		for from := 0; from < in.Records.Len(); {
			to := min(in.Records.Len(), from+r.IntN(5))
			b.Add(in.Records.Slice(from, to))
			from = to
		}
		later.Plan, later.Records, later.Probe, later.Driver = in.Plan, in.Records, in.Probe, in.Driver
		if got := jsonOf(t, b.Report()); !bytes.Equal(want, got) {
			t.Fatalf("seed %d: the Builder's report differs from Build's:\n%s", seed, firstDiff(want, got))
		}
	}
}

// TestBuilderPlanAhead holds the plan's timeline replayed ahead of Report
// (Builder.Plan) to the one Build replays at once: with a plan that starts
// when the first run does (replayed ahead), one that does not, and events
// given that are not the plan's (both replayed whole).
func TestBuilderPlanAhead(t *testing.T) {
	ahead, withGiven := 0, 0
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 9))
		in := randomInput(r)
		if in.Plan == nil {
			continue
		}
		var first *runtime.Record
		for _, rec := range in.Records.All() {
			if rec.Type == runtime.RecordRun {
				first = rec
				break
			}
		}
		if first == nil {
			continue
		}
		own := *in.Plan // the plan of a run that is its own: it starts with it
		d := first.Time.Sub(own.Start)
		own.Start, own.End = first.Time, own.End.Add(d)
		own.Events = append([]runtime.Event(nil), own.Events...)
		for i := range own.Events {
			own.Events[i].Time = own.Events[i].Time.Add(d)
		}
		other := append([]runtime.Event(nil), own.Events...) // not the plan's events
		if len(other) > 0 {
			other[len(other)-1].Step += "x"
		}
		for _, c := range []struct {
			plan   *Plan
			given  []runtime.Event
			replay bool
		}{{&own, own.Events, true}, {in.Plan, in.Plan.Events, in.Plan.Start == first.Time}, {&own, other, false}} {
			in.Plan = c.plan
			want := jsonOf(t, Build(in))
			later := *in
			// live is a Builder of later, without its plan and records,
			// given the records and the plan's events in random turns,
			// as a run's live report is.
			live := func() *Builder {
				later.Plan, later.Records, later.Probe, later.Driver = nil, runtime.RecordList{}, nil, ""
				b := NewBuilder(&later)
				recs, given := 0, 0
				for recs < in.Records.Len() || given < len(c.given) {
					if r.IntN(2) == 0 {
						to := min(in.Records.Len(), recs+r.IntN(5))
						b.Add(in.Records.Slice(recs, to))
						recs = to
					} else {
						to := min(len(c.given), given+r.IntN(5))
						b.Plan(c.given[given:to])
						given = to
					}
				}
				return b
			}
			b := live()
			later.Plan, later.Records, later.Probe, later.Driver = c.plan, in.Records, in.Probe, in.Driver
			// Replayed ahead when the plan is the run's own, and a Plan
			// followed the first run record.
			if tl, _ := b.b.replayedEarly(c.plan); tl != nil && !c.replay {
				t.Fatalf("seed %d: a plan replayed ahead that is not the one given", seed)
			} else if tl != nil {
				ahead++
			}
			if got := jsonOf(t, b.Report()); !bytes.Equal(want, got) {
				t.Fatalf("seed %d (plan replayed ahead: %v): the Builder's report differs from Build's:\n%s", seed, c.replay, firstDiff(want, got))
			}
			if len(c.given) == 0 || &c.given[0] != &c.plan.Events[0] || len(c.given) != len(c.plan.Events) {
				continue
			}
			// The same when the plan says its events are those given,
			// without them.
			eventsGiven := *c.plan
			eventsGiven.Events, eventsGiven.EventsGiven = nil, true
			b = live()
			later.Plan, later.Records, later.Probe, later.Driver = &eventsGiven, in.Records, in.Probe, in.Driver
			if got := jsonOf(t, b.Report()); !bytes.Equal(want, got) {
				t.Fatalf("seed %d (plan replayed ahead: %v, events given): the Builder's report differs from Build's:\n%s", seed, c.replay, firstDiff(want, got))
			}
			withGiven++
		}
	}
	if withGiven < 100 {
		t.Fatalf("only %d reports of a plan whose events were given", withGiven)
	}
	if ahead < 50 {
		t.Fatalf("only %d reports had their plan replayed ahead", ahead)
	}
}

// twoFields finds the first two of the fields strings.Fields splits into,
// ASCII spaces and others alike.
func TestTwoFields(t *testing.T) {
	for _, s := range []string{"", " ", "leave", "leave N1", "  leave\tN1  2", "migrate R1 N2", "leave\u00a0N1", "leave\u2003N1 x",
		"\u0085offline R1", "mig\u00e9 N1", "a\v\fb", "é N1", "N1 é", "x\r\ny"} {
		f := strings.Fields(s)
		first, second, ok := twoFields(s)
		if want := len(f) >= 2; ok != want || want && (first != f[0] || second != f[1]) {
			t.Errorf("twoFields(%q) = %q, %q, %v; strings.Fields: %q", s, first, second, ok, f)
		}
	}
}
