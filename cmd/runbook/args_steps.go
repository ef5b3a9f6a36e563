package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

// stepsArgs is the command line of `runbook steps`.
type stepsArgs struct {
	// Type is the step type to describe; "" lists them all.
	Type string
	JSON bool
}

func (s *stepsArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&s.JSON, "json", false, "print JSON")
}

func (s *stepsArgs) finish(pos []string) error {
	switch len(pos) {
	case 0:
	case 1:
		s.Type = pos[0]
	default:
		return fmt.Errorf("steps takes at most one TYPE, got %d", len(pos))
	}
	return nil
}
