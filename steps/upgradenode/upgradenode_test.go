package upgradenode_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/upgradenode"
)

var errKilled = errors.New("killed")

// dying records the leave and upgrade operations issued; once kill of them
// have taken effect, every further one fails, as after a kill (kill < 0:
// never).
type dying struct {
	*sim.Sim
	kill   int // operations that take effect before the run dies; <0: all
	issued []string
}

func (d *dying) op(key string, f func() error) error {
	if d.kill >= 0 && len(d.issued) >= d.kill {
		return errKilled
	}
	d.issued = append(d.issued, key)
	return f()
}

func (d *dying) Leave(ctx context.Context, n cluster.Node) error {
	return d.op(cluster.OpKey(cluster.OpLeave, n.Name), func() error { return d.Sim.Leave(ctx, n) })
}

func (d *dying) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	return d.op(cluster.OpKey(cluster.OpUpgrade, n.Name), func() error { return d.Sim.Upgrade(ctx, n, to) })
}

func setup() (*cluster.Cluster, *steps.Instance) {
	c := cluster.NewCluster("CL",
		[]cluster.Node{{Name: "A", Version: "1.0"}, {Name: "B", Version: "1.0"}},
		[]cluster.Resource{{Name: "R", Preferred: []string{"A", "B"}, Failback: cluster.FailbackAuto}}, nil)
	a, _ := c.Node("A")
	return c, &steps.Instance{Address: "step.upgrade-node.a", Type: "upgrade-node", Args: steps.Args{"node": *a, "to": "2.0"}, Timeout: 45 * time.Minute}
}

// TestResumeAfterLeave: a run killed after the node left resumes with the
// upgrade, without leaving again, once the node's resources run elsewhere.
func TestResumeAfterLeave(t *testing.T) {
	c, in := setup()
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	ctx := context.Background()
	st, _ := s.Status(ctx)
	before := st.Clone()
	d := &dying{Sim: s, kill: 1}
	typ := upgradenode.Type{}
	if err := typ.Run(ctx, &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second}, in, s.Now().Add(in.Timeout)); !errors.Is(err, errKilled) {
		t.Fatalf("first attempt: %v; want killed", err)
	}
	d.kill = -1
	env := &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second, Issued: map[string]bool{"leave A": true}, Before: before}
	st, _ = s.Status(ctx)
	if probs := typ.Check(env, st, in); len(probs) > 0 {
		t.Fatalf("resumed preconditions: %v", probs)
	}
	if err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.issued, ", "); got != "leave A, upgrade A" {
		t.Errorf("operations %s; want leave A, upgrade A", got)
	}
	if st, _ := s.Status(ctx); !typ.Done(env, st, in) {
		t.Errorf("not done: %+v", st.Nodes)
	}
}

// TestLeaveIssuedNotDone: a leave an interrupted attempt issued but that did
// not take effect is waited for, not issued again: the step fails at its
// deadline, and the retry after that failure issues it afresh.
func TestLeaveIssuedNotDone(t *testing.T) {
	c, in := setup()
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	ctx := context.Background()
	st, _ := s.Status(ctx)
	d := &dying{Sim: s, kill: -1}
	typ := upgradenode.Type{}
	env := &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second, Issued: map[string]bool{"leave A": true}, Before: st.Clone()}
	err := typ.Run(ctx, env, in, s.Now().Add(time.Minute))
	var te *cluster.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("resumed attempt: %v; want a timeout", err)
	}
	if len(d.issued) > 0 {
		t.Fatalf("issued %v while the interrupted attempt's leave may be under way", d.issued)
	}
	env.Issued, env.Before = nil, nil
	if err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.issued, ", "); got != "leave A, upgrade A" {
		t.Errorf("operations %s; want leave A, upgrade A", got)
	}
}

// TestLeaveEndedAgain: a leave whose command is known to have ended (the run
// that issued it stopped it) without effect is issued again at once.
func TestLeaveEndedAgain(t *testing.T) {
	c, in := setup()
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	ctx := context.Background()
	st, _ := s.Status(ctx)
	d := &dying{Sim: s, kill: -1}
	env := &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second, Issued: map[string]bool{"leave A": true},
		Ended: map[string]bool{"leave A": true}, Before: st.Clone()}
	if err := (upgradenode.Type{}).Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.issued, ", "); got != "leave A, upgrade A" {
		t.Errorf("operations %s; want leave A, upgrade A", got)
	}
}
