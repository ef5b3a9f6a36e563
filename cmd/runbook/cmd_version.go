package main

import (
	"fmt"
	"runtime/debug"
	"strings"

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

// versionText renders the build information: "runbook VERSION", then the
// revision, its time and whether the tree was modified, when the build
// recorded them (go build in a git checkout does; go test and go run do
// not).
func versionText(bi *debug.BuildInfo, ok bool) string {
	version := "(devel)"
	if ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	s := "runbook " + version
	if !ok {
		return s
	}
	settings := map[string]string{}
	for _, kv := range bi.Settings {
		settings[kv.Key] = kv.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return s
	}
	var parts []string
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	if settings["vcs.modified"] == "true" {
		parts = append(parts, "modified")
	}
	s += "\nrevision " + rev
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
