package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print runbook's version and the source revision it was built from",
		Long: `Version prints the module version runbook was built at ("(devel)" for a
build from a checkout) and, when the build recorded it, the version control
revision, its time, and "modified" if the checkout had uncommitted changes.
runbook --version prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, versionText(debug.ReadBuildInfo()))
			return nil
		},
	}
}
