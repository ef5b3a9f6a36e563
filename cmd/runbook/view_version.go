package main

import (
	"runtime/debug"
	"strings"
)

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
