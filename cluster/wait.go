package cluster

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

// DefaultPoll is how often status is read while waiting, unless a driver's
// settings say otherwise.
const DefaultPoll = 2 * time.Second

// Watch says how a wait reads status and whom it tells.
type Watch struct {
	// Poll is how often status is read (DefaultPoll if not positive).
	Poll time.Duration
	// Waiting, if set, is told on each status read what the wait is for,
	// what is still pending, and the driver's time.
	Waiting func(what, pending string, now time.Time)
	// Logf, if set, is told every five minutes of a long wait that it
	// still waits.
	Logf func(format string, args ...any)
}

// WaitFor reads d's status every w.Poll until cond holds or deadline
// passes. cond returns "" when the condition holds, or what is still
// pending. A condition that can never hold any more returns a non-nil
// error, which ends the wait at once.
func WaitFor(ctx context.Context, d Driver, w Watch, deadline time.Time, what string, cond func(*Status) (pending string, err error)) (*Status, error) {
	return WaitForOf(ctx, d, w, deadline, func() string { return what }, cond)
}

// WaitForOf is WaitFor with what the wait is for said by a function, asked
// only once the condition is found not to hold: a wait whose condition
// holds at once, as most do on the simulator, makes no description.
func WaitForOf(ctx context.Context, d Driver, w Watch, deadline time.Time, whatOf func() string, cond func(*Status) (pending string, err error)) (*Status, error) {
	start := d.Now()
	what, said := "", false
	nextProgress := start.Add(progressEvery)
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		st, err := d.Status(ctx)
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
		now := d.Now()
		if !said {
			what, said = whatOf(), true
		}
		if w.Waiting != nil {
			w.Waiting(what, pending, now)
		}
		if !now.Before(deadline) {
			return st, &TimeoutError{What: what, Waited: now.Sub(start).Round(time.Second), Pending: pending}
		}
		if !now.Before(nextProgress) {
			if w.Logf != nil {
				w.Logf("still waiting for %s (%s): %s", what, now.Sub(start).Round(time.Second), pending)
			}
			nextProgress = now.Add(progressEvery)
		}
		sleep := poll
		if rest := deadline.Sub(now); rest < sleep {
			sleep = rest
		}
		if err := d.Sleep(ctx, sleep); err != nil {
			return st, err
		}
	}
}
