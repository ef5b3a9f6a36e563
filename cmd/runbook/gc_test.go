package main

import (
	"math"
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

// TestRunCollector: a run's own process loads at runGCPercent, and stays at
// it for a simulator, or goes back to processGCPercent for a real cluster;
// with GOGC set, or in the tests' process, they leave the target alone.
func TestRunCollector(t *testing.T) {
	defer func(own, set bool) { ownProcess, collectorSet = own, set }(ownProcess, collectorSet)
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	for _, own := range []bool{false, true} {
		ownProcess, collectorSet = own, false
		t.Setenv("GOGC", "50")
		debug.SetGCPercent(50)
		setRunCollector()
		runCollector(true)
		if got := debug.SetGCPercent(50); got != 50 {
			t.Errorf("own process %v, GOGC set: target %d, want 50", own, got)
		}
	}

	ownProcess, collectorSet = true, false
	t.Setenv("GOGC", "")
	if !setRunCollector() {
		t.Fatal("setRunCollector did not set the target of the command's own process")
	}
	if got := debug.SetGCPercent(runGCPercent); got != runGCPercent {
		t.Errorf("target while loading = %d, want %d", got, runGCPercent)
	}
	runCollector(true)
	if got := debug.SetGCPercent(runGCPercent); got != runGCPercent {
		t.Errorf("target for a simulator = %d, want %d", got, runGCPercent)
	}
	runCollector(false)
	if got := debug.SetGCPercent(processGCPercent); got != processGCPercent {
		t.Errorf("target for a real cluster = %d, want %d", got, processGCPercent)
	}
}

// TestOffWhileLoading: in a command's own process the collector is off
// while the runbook loads, but for loadMemoryLimit, then back as it was;
// in the tests' process (or with GOGC set: setCollector), it is left alone.
func TestOffWhileLoading(t *testing.T) {
	defer func(own, set bool) { ownProcess, collectorSet = own, set }(ownProcess, collectorSet)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	for _, own := range []bool{false, true} {
		ownProcess, collectorSet = own, false
		t.Setenv("GOGC", "")
		setRunCollector()
		want := debug.SetGCPercent(-1)
		debug.SetGCPercent(want)
		debug.SetMemoryLimit(math.MaxInt64)
		loaded := offWhileLoading()
		percent := debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
		limit := debug.SetMemoryLimit(-1)
		if own && (percent != -1 || limit != loadMemoryLimit) {
			t.Errorf("own process: target %d and memory limit %d while loading, want off and %d", percent, limit, loadMemoryLimit)
		}
		if !own && (percent != want || limit != math.MaxInt64) {
			t.Errorf("tests' process: target %d and memory limit %d while loading, want them left alone (%d)", percent, limit, want)
		}
		loaded()
		if got, lim := debug.SetGCPercent(want), debug.SetMemoryLimit(-1); got != want || lim != math.MaxInt64 {
			t.Errorf("own process %v: target %d and memory limit %d once loaded, want %d and no limit", own, got, lim, want)
		}
	}
}
