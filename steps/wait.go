package steps

import (
	"context"
	"fmt"
	"time"
)

// TimeoutError is returned by WaitFor when the deadline passes first.
type TimeoutError struct {
	What    string
	Waited  time.Duration
	Pending string // what still does not hold, from the condition's last answer
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("timed out after %s waiting for %s", e.Waited, e.What)
	if e.Pending != "" {
		msg += ": " + e.Pending
	}
	return msg
}

// progressEvery is how often a long wait reports that it is still waiting.
const progressEvery = 5 * time.Minute

// WaitFor reads status every env.Poll until cond holds or deadline passes.
// cond returns "" when the condition holds, or what is still pending. A
// condition that can never hold any more returns a non-nil error, which ends
// the wait at once.
func WaitFor(ctx context.Context, env *Env, deadline time.Time, what string, cond func(*Status) (pending string, err error)) (*Status, error) {
	clock := env.Driver
	start := clock.Now()
	nextProgress := start.Add(progressEvery)
	poll := env.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	for {
		st, err := env.Driver.Status(ctx)
		if err != nil {
			return nil, err
		}
		pending, err := cond(st)
		if err != nil {
			return st, err
		}
		if pending == "" {
			return st, nil
		}
		now := clock.Now()
		if env.Waiting != nil {
			env.Waiting(what, pending, now)
		}
		if !now.Before(deadline) {
			return st, &TimeoutError{What: what, Waited: now.Sub(start).Round(time.Second), Pending: pending}
		}
		if !now.Before(nextProgress) {
			env.Log("still waiting for %s (%s): %s", what, now.Sub(start).Round(time.Second), pending)
			nextProgress = now.Add(progressEvery)
		}
		d := poll
		if rest := deadline.Sub(now); rest < d {
			d = rest
		}
		if err := clock.Sleep(ctx, d); err != nil {
			return st, err
		}
	}
}
