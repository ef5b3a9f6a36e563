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

// WaitForOf is WaitFor with what the wait is for made by whatOf, only when
// the condition does not hold at once (cluster.WaitForOf).
func WaitForOf(ctx context.Context, env *Env, deadline time.Time, whatOf func() string, cond func(*cluster.Status) (pending string, err error)) (*cluster.Status, error) {
	return cluster.WaitForOf(ctx, env.Driver, cluster.Watch{Poll: env.Poll, Waiting: env.Waiting, Logf: env.Logf}, deadline, whatOf, cond)
}
