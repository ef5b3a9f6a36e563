package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
)

// confirm asks a yes/no question on the terminal; only "yes" is yes. hint
// says what to type. It gives up at once when ctx ends or at the first
// signal (stop closed), with errPromptStopped: a signal at a prompt never
// counts as an answer.
func (a *app) confirm(ctx context.Context, stop <-chan struct{}, question, hint string) (bool, error) {
	fmt.Fprintf(a.stdout, "%s\n  %s ", question, hint)
	a.flushHidden() // the prompt, whole
	a.prompting.Store(true)
	defer a.prompting.Store(false)
	line, err := a.readLine(ctx, stop)
	if err != nil && !errors.Is(err, io.EOF) {
		// onSignals' notice ends the prompt's line.
		return false, err
	}
	fmt.Fprintln(a.stdout)
	return strings.TrimSpace(line) == "yes", nil
}

// errPromptStopped is why a prompt got no answer: a signal came first.
var errPromptStopped = errors.New("interrupted at the prompt")

type lineRead struct {
	line string
	err  error
}

// readLine reads a line of stdin, or gives up when ctx ends or stop is
// closed. The read it gave up on goes on, and the next call takes its line:
// no line typed is lost, and stdin is never read by two at once.
func (a *app) readLine(ctx context.Context, stop <-chan struct{}) (string, error) {
	if a.pendingLine == nil {
		if a.lines == nil {
			a.lines = bufio.NewReader(a.stdin)
		}
		ch := make(chan lineRead, 1)
		go func() {
			line, err := a.lines.ReadString('\n')
			ch <- lineRead{line, err}
		}()
		a.pendingLine = ch
	}
	select {
	case r := <-a.pendingLine:
		a.pendingLine = nil
		return r.line, r.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	case <-stop:
		return "", errPromptStopped
	}
}

// auditPrompt journals each answer the operator gives at an approve step's
// prompt: who, when, yes or no. A prompt cut short (an error) records
// nothing.
func auditPrompt(st *runtime.State, drv cluster.Driver, prompt func(context.Context, string) (bool, error)) func(context.Context, string) (bool, error) {
	if prompt == nil {
		return nil
	}
	return func(ctx context.Context, q string) (bool, error) {
		ok, err := prompt(ctx, q)
		if err != nil {
			return ok, err
		}
		if jerr := st.Approved(drv.Now(), ok); jerr != nil {
			return false, jerr
		}
		return ok, nil
	}
}

// approvePrompt is an approve step's prompt on the terminal, nil without
// one: it asks prefix+question, one prompt at a time if mu is set (a
// fleet's clusters share the terminal). The first signal at a prompt stops
// the run there: the step is not approved, and the resumed run asks again.
func (a *app) approvePrompt(stop <-chan struct{}, prefix string, mu *sync.Mutex) func(context.Context, string) (bool, error) {
	if !a.interactive {
		return nil
	}
	return func(ctx context.Context, q string) (bool, error) {
		if mu != nil {
			mu.Lock()
			defer mu.Unlock()
		}
		ok, err := a.confirm(ctx, stop, prefix+q, "Type yes to approve:")
		if errors.Is(err, errPromptStopped) {
			err = fmt.Errorf("%w (%w)", err, steps.ErrStop)
		}
		return ok, err
	}
}
