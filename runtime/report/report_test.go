package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

// A run killed in the middle of its second step, resumed two days later: the
// killed run and the resumption are marked, the step has two attempts, the
// outage that spans both runs is one, and the move seen at one status read
// gets what the run's own figure leaves over.
func TestBuildKilledAndResumed(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 22, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ptrT := func(d time.Duration) *time.Time { t := at(d); return &t }
	resumed := 48 * time.Hour
	recs := []runtime.Record{
		{Type: runtime.RecordRun, Time: at(0), Driver: "exec", Command: "runbook run a.hcl", User: "alice", Host: "ops1", Answer: "yes", Answered: ptrT(0)},
		{Type: runtime.RecordStep, Time: at(0), Address: "s1", Status: runtime.StatusStarted},
		{Type: runtime.RecordOp, Time: at(time.Minute), Address: "s1", Op: "leave N1"},
		{Type: runtime.RecordChange, Time: at(2 * time.Minute), Address: "s1", Change: &runtime.Change{Kind: runtime.ChangeNode, Name: "N1", FromState: "up", ToState: "down", FromVersion: "1", ToVersion: "1"}},
		{Type: runtime.RecordChange, Time: at(2 * time.Minute), Address: "s1", Change: &runtime.Change{Kind: runtime.ChangeResource, Name: "R1", FromState: "running", ToState: "running", FromNode: "N1", ToNode: "N2"}},
		{Type: runtime.RecordStep, Time: at(3 * time.Minute), Address: "s1", Status: runtime.StatusDone, Started: ptrT(0), Outages: &runtime.Outages{Ended: map[string]float64{"R1": 4}}},
		{Type: runtime.RecordStep, Time: at(3 * time.Minute), Address: "s2", Status: runtime.StatusStarted},
		{Type: runtime.RecordOp, Time: at(3 * time.Minute), Address: "s2", Op: "offline R1"},
		{Type: runtime.RecordChange, Time: at(4 * time.Minute), Address: "s2", Change: &runtime.Change{Kind: runtime.ChangeResource, Name: "R1", FromState: "running", ToState: "offline", FromNode: "N2", ToNode: "N2"}},
		// killed here
		{Type: runtime.RecordRun, Time: at(resumed), Driver: "exec", Command: "runbook run a.hcl", User: "bob", Host: "ops2", Answer: "--auto-approve", Answered: ptrT(resumed)},
		{Type: runtime.RecordStep, Time: at(resumed), Address: "s2", Status: runtime.StatusStarted},
		{Type: runtime.RecordOp, Time: at(resumed), Address: "s2", Op: "online R1 N2"},
		{Type: runtime.RecordChange, Time: at(resumed + time.Minute), Address: "s2", Change: &runtime.Change{Kind: runtime.ChangeResource, Name: "R1", FromState: "offline", ToState: "running", FromNode: "N2", ToNode: "N2"}},
		{Type: runtime.RecordStep, Time: at(resumed + time.Minute), Address: "s2", Status: runtime.StatusDone, Started: ptrT(resumed)},
		{Type: runtime.RecordEnd, Time: at(resumed + time.Minute), Outcome: runtime.OutcomeCompleted, Message: "run complete",
			Downtime: map[string]runtime.Seconds{"R1": runtime.Seconds(4 + (resumed - 3*time.Minute).Seconds())}},
	}
	declared := &cluster.Status{Nodes: map[string]cluster.NodeStatus{"N1": {State: "up", Version: "1"}, "N2": {State: "up", Version: "1"}},
		Resources: map[string]cluster.ResourceStatus{"R1": {State: "running", Node: "N1"}}}
	rep := Build(&Input{Nodes: []string{"N1", "N2"}, Resources: []string{"R1"}, Home: map[string]string{"R1": "N1"},
		Steps:    []StepInfo{{Address: "s1", Type: "upgrade-node", Node: "N1"}, {Address: "s2", Type: "media-upgrade"}},
		Declared: declared, Snapshot: declared, Records: runtime.ListOf(recs)})

	if rep.Outcome != runtime.OutcomeCompleted || len(rep.Runs) != 2 || rep.Runs[0].Outcome != "killed" || rep.Runs[1].User != "bob" {
		t.Errorf("runs: outcome %q, %+v", rep.Outcome, rep.Runs)
	}
	if rep.Runs[1].Confirmed != nil || rep.Runs[0].Confirmed == nil {
		t.Errorf("a run confirmed with --auto-approve has no time of confirmation, one confirmed at its prompt has: %+v", rep.Runs)
	}
	var kinds []string
	for _, m := range rep.Marks {
		kinds = append(kinds, m.Kind+"@"+m.Time.Sub(t0).String())
	}
	if diff := cmp.Diff([]string{"killed@4m0s", "resume@48h0m0s"}, kinds); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	if s := rep.Steps[1]; s.Status != runtime.StatusDone || len(s.Attempts) != 2 || s.Attempts[0].Status != "interrupted" {
		t.Errorf("step s2: %+v", s)
	}
	d := rep.Downtime[0]
	total := 4 + (resumed - 3*time.Minute).Seconds()
	if d.MeasuredSeconds != total {
		t.Errorf("measured %v; want %v", d.MeasuredSeconds, total)
	}
	var got []string
	for _, o := range d.Outages {
		got = append(got, o.Kind+" "+time.Duration(o.Seconds*float64(time.Second)).String()+": "+o.Reason)
	}
	want := []string{
		"move 4s: failover N1 → N2: N1 left the cluster during s1",
		"offline 47h57m0s: taken offline by s2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outages (-want +got):\n%s", diff)
	}
	var states []string
	for _, s := range rep.Nodes[0].Actual {
		states = append(states, s.State)
	}
	if diff := cmp.Diff([]string{"up", "leaving", "down"}, states); diff != "" {
		t.Errorf("N1's lane (-want +got):\n%s", diff)
	}
	var ops []string
	for _, o := range rep.Operations {
		ops = append(ops, o.Op+" "+o.Outcome)
	}
	if diff := cmp.Diff([]string{"leave N1 ok", "offline R1 unknown", "online R1 N2 ok"}, ops); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}
