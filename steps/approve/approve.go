// Package approve is the approve step type: it shows a message and waits
// for the operator to type yes, for example before the point of no return of
// media-upgrade.
package approve

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the approve step type.
type Type struct{}

var (
	_ steps.Type      = Type{}
	_ steps.PlanNoter = Type{}
)

func (Type) Name() string { return "approve" }
func (Type) Doc() string {
	return "Shows a message and waits for the operator to type yes; without a terminal it fails safe unless --auto-approve."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "message", Kind: steps.KindString, Required: true, Doc: "What the operator approves, for example \"Upgrade the shared media? This takes every pool offline.\""},
	}
}
func (Type) DefaultTimeout() time.Duration { return 8 * time.Hour }
func (Type) Mutates() bool                 { return false }

// PlanNote says what the step does instead of changing the cluster.
func (Type) PlanNote() string { return "asks the operator" }

func (Type) Check(*steps.Env, *cluster.Status, *steps.Instance) []steps.Problem { return nil }

// Done is false: an approval cannot be read from the cluster, so a resumed
// run asks again.
func (Type) Done(*steps.Env, *cluster.Status, *steps.Instance) bool { return false }

// ErrNotApproved is returned when the operator answers anything but yes:
// the run stops there (steps.ErrStop), and asks again when it resumes.
var ErrNotApproved = fmt.Errorf("not approved: %w", steps.ErrStop)

func (Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	msg := in.Args.String("message")
	if env.AutoApprove {
		env.Log("approved by --auto-approve: %s", msg)
		return nil
	}
	if env.Prompt == nil {
		return fmt.Errorf("%q needs an operator's approval and there is no terminal to ask; run it on a terminal, or pass --auto-approve", msg)
	}
	ctx, cancel := context.WithDeadline(ctx, time.Now().Add(deadline.Sub(env.Driver.Now())))
	defer cancel()
	ok, err := env.Prompt(ctx, msg)
	if errors.Is(err, steps.ErrStop) {
		// Interrupted at the prompt: not approved, and the run stops here.
		return fmt.Errorf("%q was not approved: %w", msg, err)
	}
	if err != nil {
		return fmt.Errorf("asking for approval: %w", err)
	}
	if !ok {
		return fmt.Errorf("the operator did not answer yes to %q (%w)", msg, ErrNotApproved)
	}
	env.Log("approved by the operator")
	return nil
}
