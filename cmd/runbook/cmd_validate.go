package main

import (
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/lang"
)

func (a *app) validateCommand() *cobra.Command {
	var args validateArgs
	c := &cobra.Command{
		Use:   "validate [flags] PATH",
		Short: "Check a runbook without touching the cluster",
		Long: `Validate checks a runbook file, or a directory of .hcl files, without touching
the cluster: syntax, blocks and attributes, types and references, and rules
R1-R7 of the reference procedure, by an abstract run of the steps over the
declared cluster. Variables without a value are checked by their type alone.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.`,
		Example: `  runbook validate runbooks/netware65-rolling-upgrade.hcl
  runbook validate --json --var target_version=6.5.8 upgrade/   # a directory of .hcl files
  runbook validate --format github upgrade.hcl   # annotations in a GitHub Actions job`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.validate(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// validate loads and checks the runbook and returns the exit code.
func (a *app) validate(args *validateArgs) int {
	setCollector()
	offWhileLoading()
	rb, diags := a.load(args.Path, lang.Options{
		Registry: a.registry,
		Vars:     args.Vars.Vars,
		VarFiles: args.Vars.VarFiles,
		Env:      os.Environ(),
	})
	var files map[string]*hcl.File
	if rb != nil {
		files = rb.Files
	}
	a.hide(rb)
	return a.validateView(args.View).Results(files, diags)
}
