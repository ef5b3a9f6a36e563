package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// validateArgs is the command line of `runbook validate`.
type validateArgs struct {
	Path string
	// View is how the result is shown: viewHuman, viewJSON or viewGitHub.
	View viewType
	Vars varArgs

	json   bool
	format string
}

// viewType selects a command's view.
type viewType int

const (
	viewHuman  viewType = iota
	viewJSON            // --json
	viewGitHub          // --format github: GitHub Actions workflow commands
)

func (v *validateArgs) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&v.json, "json", false, "print the result as one JSON object")
	fs.StringVar(&v.format, "format", "human", "output `FORMAT`: human, or github for GitHub Actions annotations")
	v.Vars.bind(fs)
}

// finish checks what the flags alone cannot: the positional arguments and
// the combinations of flags. Its errors are usage errors.
func (v *validateArgs) finish(pos []string) error {
	path, err := onePath("validate", pos)
	if err != nil {
		return err
	}
	v.Path = path
	switch v.format {
	case "human", "text":
		v.View = viewHuman
	case "github":
		v.View = viewGitHub
	case "json":
		v.View = viewJSON
	default:
		return fmt.Errorf("unknown --format %q; want human or github", v.format)
	}
	if v.json {
		if v.View == viewGitHub {
			return errors.New("--json and --format github cannot be used together")
		}
		v.View = viewJSON
	}
	return v.Vars.finish()
}

// varArgs are the flags that give variables values, shared by every command
// that loads a runbook. Values from RUNBOOK_VAR_NAME environment variables
// are read by lang itself.
type varArgs struct {
	// Vars are the --var flags, "NAME=VALUE", in order: a later one wins.
	Vars []string
	// VarFiles are the --var-file flags, in order.
	VarFiles []string
}

func (v *varArgs) bind(fs *pflag.FlagSet) {
	// StringArray, not StringSlice: a value may contain commas.
	fs.StringArrayVar(&v.Vars, "var", nil, "set the variable `NAME=VALUE` (repeatable; overrides --var-file and RUNBOOK_VAR_NAME)")
	fs.StringArrayVar(&v.VarFiles, "var-file", nil, "read variable values from the HCL `FILE` (repeatable)")
}

func (v *varArgs) finish() error {
	for _, kv := range v.Vars {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(name) == "" {
			// Not quoted: what was given may be a value (a token)
			// without its name.
			return errors.New("invalid --var: a value has no NAME= before it; want NAME=VALUE")
		}
	}
	return nil
}
