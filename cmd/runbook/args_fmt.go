package main

import (
	"errors"

	"github.com/spf13/pflag"
)

// fmtArgs is the command line of `runbook fmt`.
type fmtArgs struct {
	// Paths are files and directories; "-" alone means stdin to stdout.
	Paths []string
	// Check writes nothing: it lists the files that are not formatted.
	Check bool
}

func (f *fmtArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Check, "check", false, "write nothing; list the files that are not formatted and exit 1 if there are any")
}

func (f *fmtArgs) finish(pos []string) error {
	if len(pos) == 0 {
		pos = []string{"."}
	}
	for _, p := range pos {
		if p == "-" && len(pos) > 1 {
			return errors.New(`"-" (standard input) cannot be combined with other paths`)
		}
	}
	f.Paths = pos
	return nil
}

// stdin reports whether the input is standard input.
func (f *fmtArgs) stdin() bool { return len(f.Paths) == 1 && f.Paths[0] == "-" }
