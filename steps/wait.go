package steps

import (
	"context"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// WaitFor waits, as cluster.WaitFor does, on env's driver, at env's poll,
// telling env's Waiting and Logf.
func WaitFor(ctx context.Context, env *Env, deadline time.Time, what string, cond func(*cluster.Status) (pending string, err error)) (*cluster.Status, error) {
	return cluster.WaitFor(ctx, env.Driver, cluster.Watch{Poll: env.Poll, Waiting: env.Waiting, Logf: env.Logf}, deadline, what, cond)
}
