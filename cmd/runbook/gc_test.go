package main

import (
	"runtime/debug"
	"testing"
)

// TestSetCollector: a command's own process runs at processGCPercent, unless
// GOGC is set, which then wins; the tests' process (many commands) is left
// alone.
func TestSetCollector(t *testing.T) {
	defer func(own, set bool) { ownProcess, collectorSet = own, set }(ownProcess, collectorSet)
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	ownProcess, collectorSet = false, false
	t.Setenv("GOGC", "")
	if setCollector() || debug.SetGCPercent(100) != 100 {
		t.Fatal("setCollector set the target of a process that is not the command's own")
	}

	ownProcess = true
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	if setCollector() || debug.SetGCPercent(50) != 50 {
		t.Fatal("setCollector set the target although GOGC is set")
	}

	t.Setenv("GOGC", "")
	if !setCollector() {
		t.Fatal("setCollector did not set the target of the command's own process")
	}
	if got := debug.SetGCPercent(100); got != processGCPercent {
		t.Errorf("target after setCollector = %d, want %d", got, processGCPercent)
	}
}
