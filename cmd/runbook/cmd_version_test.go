package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "runbook (devel)"},
		{"go test", &debug.BuildInfo{}, true, "runbook (devel)"},
		{"go install at a version", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "runbook v1.4.0"},
		{"go build in a checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs", "git", "vcs.revision", "0123abcd", "vcs.time", "2026-11-29T18:00:00Z", "vcs.modified", "false")},
			true, "runbook (devel)\nrevision 0123abcd (2026-11-29T18:00:00Z)"},
		{"modified checkout", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20261129180000-0123abcd"},
			Settings: vcs("vcs.revision", "0123abcd", "vcs.modified", "true")},
			true, "runbook v1.4.1-0.20261129180000-0123abcd\nrevision 0123abcd (modified)"},
	} {
		if got := versionText(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
