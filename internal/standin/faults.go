package main

import (
	"os"
	"strings"
)

// faultSet holds fault specs: KIND, KIND:TARGET or KIND:CMD:ARG.
type faultSet []string

func envFaults() faultSet {
	var fs faultSet
	for _, f := range strings.Split(os.Getenv("STANDIN_FAULTS"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// match returns the fault of kind that targets the command args
// (KIND:CMD, or KIND:CMD:ARG for its first argument), or "".
func (fs faultSet) match(kind string, args []string) string {
	for _, f := range fs {
		k, target, _ := strings.Cut(f, ":")
		if k != kind {
			continue
		}
		cmd, arg, hasArg := strings.Cut(target, ":")
		if cmd == args[0] && (!hasArg || (len(args) > 1 && args[1] == arg)) {
			return f
		}
	}
	return ""
}

// has reports whether the fault KIND or KIND:TARGET is set.
func (fs faultSet) has(kind string, target ...string) bool {
	want := kind
	if len(target) > 0 {
		want += ":" + target[0]
	}
	for _, f := range fs {
		if f == want {
			return true
		}
	}
	return false
}
