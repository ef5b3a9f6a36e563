package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/internal/suggest"
	"github.com/runbookhq/runbook/steps"
)

func (a *app) stepsCommand() *cobra.Command {
	var args stepsArgs
	c := &cobra.Command{
		Use:   "steps [--json] [TYPE]",
		Short: "List the step types, or show one type's attributes",
		Long: `Steps lists the built-in step types with a line on what each does. With a
TYPE, it shows the type's attributes (each with its type, whether it is
required, its default and what it means), the attributes every step accepts,
the default timeout, and an example block.`,
		Example: `  runbook steps
  runbook steps upgrade-node
  runbook steps --json media-upgrade`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.steps(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// steps describes the registry and returns the exit code.
func (a *app) steps(args *stepsArgs) int {
	v := a.stepsView(args.JSON)
	if args.Type == "" {
		types := make([]steps.Type, 0, len(a.registry))
		for _, name := range a.registry.Names() {
			types = append(types, a.registry[name])
		}
		v.List(types)
		return exitOK
	}
	t, ok := a.registry[args.Type]
	if !ok {
		v.Unknown(args.Type, closestName(args.Type, a.registry.Names()), a.registry.Names())
		return exitFailed
	}
	v.Type(t)
	return exitOK
}

// closestName returns the candidate closest to s, or "" if none is close:
// within a third of its length in edits, or containing s.
func closestName(s string, candidates []string) string {
	best, bestDist := "", len(s)/3+1
	for _, c := range candidates {
		if d := suggest.Distance(s, c); d < bestDist || (best == "" && len(s) >= 3 && strings.Contains(strings.ToLower(c), strings.ToLower(s))) {
			best, bestDist = c, d
		}
	}
	return best
}
