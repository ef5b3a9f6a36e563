package main

import (
	"os"
	"runtime/debug"
)

// processGCPercent is the garbage collector's target (GOGC) in a process
// that loads one runbook and works on it until it exits: validate, plan and
// run. Loading allocates several times what it keeps (hcl's tokens, each
// expression's intermediate values, the abstract run's model), and a run
// keeps most of what it allocates (the journal's records, the report's
// input), so at Go's default (100) the collector marks the same objects
// again and again: at 400 it runs a third as often. A simulated run of
// 1,000 or 10,000 nodes takes about a sixth less CPU time and a tenth less
// wall time, for 1.25 times the peak memory: still in proportion to the
// runbook's size. A validate of 10,000 nodes, a fifth less CPU time.
const processGCPercent = 400

// runGCPercent is the collector's target in a run's process once it has
// loaded its runbook (offWhileLoading) and, when its driver is a
// simulator, for the rest of it (a run on a real cluster goes back to processGCPercent: it lasts, and
// mostly waits). Loading keeps most of what it has allocated until its end
// (the files' syntax), and a simulated run keeps most of what it allocates
// (the journal's records, the report's timeline), so each collection
// before their ends marks much and frees little: at processGCPercent a
// rehearsal of 10,000 nodes collects once while it loads and once, the
// costliest, while it runs (some 150 MB live). At 1000 only the
// collection once the load is over (offWhileLoading) is left: about a tenth
// less CPU time and wall time, for a tenth more peak memory (about 290
// MiB), still in proportion to the runbook's size; a rehearsal of 1,000
// nodes is unchanged.
const runGCPercent = 1000

var (
	// ownProcess is true when the process is the command's own (main):
	// only then does a command set the collector's target.
	ownProcess bool
	// collectorSet is true once a command has set it, for the rest of the
	// process.
	collectorSet bool
)

// setCollector sets the collector's target to processGCPercent for the rest
// of the process, unless GOGC is set: then it is left as GOGC says, and
// setCollector returns false.
func setCollector() bool {
	if collectorSet {
		return true
	}
	if !ownProcess || os.Getenv("GOGC") != "" {
		return false
	}
	collectorSet = true
	debug.SetGCPercent(processGCPercent)
	return true
}

// setRunCollector is setCollector for a run: its target is runGCPercent
// until runCollector says otherwise.
func setRunCollector() bool {
	if !setCollector() {
		return false
	}
	debug.SetGCPercent(runGCPercent)
	return true
}

// offWhileLoading turns the collector off while a command that set it
// (setCollector) loads its runbook, but for a memory limit of
// loadMemoryLimit, and returns what puts both back as they were, to call
// once the load's syntax trees are dropped (validate, which ends with its
// load, never does). Loading
// keeps nearly all it allocates (the files' syntax, the declarations'
// values, the steps) to its end, so a collection while it loads marks it
// all and frees little: a 10,000-node runbook's parse reached the first
// goal (40 MB), and its collection marked some 40 MB to free a few (some
// 50 ms of CPU time, a tenth of what a run takes before its first step);
// turned back on after the parse, the collector starts at once, from that
// first goal. Without it, the heap holds what the load allocated, in
// proportion to the runbook's size (about 70 times the files' size), and
// once the target is back, past its goal, a collection starts at once: the
// run reuses the loading's memory and its next goal follows what it keeps
// (a 10,000-node rehearsal touches about a quarter fewer pages than with
// a goal set from the heap of the load).
func offWhileLoading() func() {
	if !collectorSet {
		return func() {}
	}
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(limit, loadMemoryLimit))
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	}
}

// loadMemoryLimit bounds the memory of a load with the collector off
// (offWhileLoading): past it, the collector runs. A 10,000-node runbook's
// load allocates about 110 MB in all.
const loadMemoryLimit = 1 << 30

// runCollector sets the target for the run once its runbook is loaded and
// its driver known: runGCPercent for a simulator, processGCPercent for a
// real cluster. Unless setRunCollector set it, it leaves it alone.
func runCollector(simulated bool) {
	if !collectorSet {
		return
	}
	if simulated {
		debug.SetGCPercent(runGCPercent)
	} else {
		debug.SetGCPercent(processGCPercent)
	}
}
