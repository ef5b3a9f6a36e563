package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// onSignals stops the run after the current step at the first SIGINT,
// SIGTERM, SIGQUIT or SIGHUP (a prompt gives up at once, unanswered), and
// cancels the step in flight at a second signal. A repeated SIGHUP is not a
// second signal: a dropped connection may send it twice (the shell passes
// its hangup on to its jobs, and the kernel sends one when the session's
// leader exits), and a dropped connection must never abort a step half-way.
// Under nohup (SIGHUP ignored from the start) it stays ignored. SIGPIPE is
// received and dropped, so that a write to a closed pipe fails (runOutput
// then stops writing to it) instead of killing the process; unlike
// signal.Ignore, this leaves the commands the run starts with SIGPIPE's
// default action. The name of the signal that closes stop is written to
// *cause first. The returned function stops listening.
func (a *app) onSignals(stop chan struct{}, cause *string, cancel context.CancelCauseFunc, notice func(string)) func() {
	sigs := make(chan os.Signal, 4)
	wanted := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT}
	if !signal.Ignored(syscall.SIGHUP) {
		wanted = append(wanted, syscall.SIGHUP)
	}
	signal.Notify(sigs, wanted...)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		stopped := false
		for {
			select {
			case <-done:
				return
			case <-pipes:
			case sig := <-sigs:
				switch {
				case !stopped && a.prompting.Load():
					stopped = true
					*cause = sig.String()
					close(stop)
					notice(fmt.Sprintf("\n%s: not approved; stopping here", sig))
				case !stopped:
					stopped = true
					*cause = sig.String()
					close(stop)
					if sig == syscall.SIGHUP {
						notice(fmt.Sprintf("%s: the terminal is gone; stopping after the current step (its output goes on to %s in the state directory)", sig, runLogFile))
					} else {
						notice(fmt.Sprintf("%s: stopping after the current step; press Ctrl-C again to abort the step (it will be in doubt)", sig))
					}
				case sig == syscall.SIGHUP:
					notice(fmt.Sprintf("%s: still stopping after the current step (a hangup never aborts a step)", sig))
				default:
					notice(fmt.Sprintf("%s: aborting the current step", sig))
					cancel(errSecondInterrupt)
					return
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		signal.Stop(pipes)
		close(done)
		wg.Wait()
	}
}

// noticeBoard shows onSignals' notices: on stderr until the run's view is
// up, then in the view.
type noticeBoard struct {
	mu   sync.Mutex
	w    io.Writer
	view runView
}

func (n *noticeBoard) setView(v runView) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.view = v
}

func (n *noticeBoard) notice(msg string) {
	n.mu.Lock()
	w, v := n.w, n.view
	n.mu.Unlock()
	if v != nil {
		v.Notice(msg)
		return
	}
	fmt.Fprintln(w, msg)
}

// errSecondInterrupt is why a run's context is cancelled: the step in flight
// is in doubt, "aborted by a second interrupt: <what was in flight>".
var errSecondInterrupt = errors.New("aborted by a second interrupt")
