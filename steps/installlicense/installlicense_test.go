package installlicense_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/installlicense"
)

type counting struct {
	*sim.Sim
	n int
}

func (d *counting) InstallLicense(ctx context.Context, l cluster.License) error {
	d.n++
	return d.Sim.InstallLicense(ctx, l)
}

// TestIssuedNotTwice: an installation an interrupted attempt issued is
// waited for, never issued again; the retry after a failure issues it.
func TestIssuedNotTwice(t *testing.T) {
	l := cluster.License{Name: "l", Product: "P", Version: "2", MinNodes: 1}
	c := cluster.NewCluster("CL", []cluster.Node{{Name: "A", Version: "1"}}, nil, []cluster.License{l})
	in := &steps.Instance{Address: "step.install-license.l", Type: "install-license", Args: steps.Args{"license": l}, Timeout: 10 * time.Minute}
	s := sim.New(c, sim.Options{Timings: sim.DefaultTimings()})
	d := &counting{Sim: s}
	typ := installlicense.Type{}
	ctx := context.Background()

	// Issued by an interrupted attempt, but it never took effect: the step
	// waits for it and fails at its deadline, installing nothing.
	env := &steps.Env{Cluster: c, Driver: d, Poll: 5 * time.Second, Issued: map[string]bool{"install_license l": true}}
	err := typ.Run(ctx, env, in, s.Now().Add(time.Minute))
	var te *cluster.TimeoutError
	if !errors.As(err, &te) || d.n != 0 {
		t.Fatalf("issued, not installed: %v after %d installations; want a timeout and none", err, d.n)
	}
	env.Issued = nil
	if err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil || d.n != 1 {
		t.Fatalf("retry: %v after %d installations; want 1", err, d.n)
	}
	env.Issued = map[string]bool{"install_license l": true}
	if err := typ.Run(ctx, env, in, s.Now().Add(in.Timeout)); err != nil || d.n != 1 {
		t.Fatalf("resumed after it took effect: %v after %d installations; want 1", err, d.n)
	}
}
