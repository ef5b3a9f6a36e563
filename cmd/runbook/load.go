package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

// Bounds on loading a runbook. HCL evaluates expressions such as nested for
// expressions without a bound of its own, so a runbook of a few lines can ask
// for billions of values; the command line gives up on it with a diagnostic
// rather than hang or exhaust the machine's memory.
const (
	defaultLoadTimeout = 30 * time.Second
	loadHeapLimit      = 2 << 30
)

// loadGCPercent is the garbage collector's target while a runbook loads,
// in a command that has not set it for the whole process (setCollector):
// fleet's, status', report's. Loading allocates several times what it
// keeps, so at Go's default (100) the collector spends much of the load
// marking the same syntax tree again. GOGC, when set, is left as it says.
const loadGCPercent = 400

// load runs lang.Load under the bounds: past RUNBOOK_LOAD_TIMEOUT (a Go
// duration, default 30s) or 2 GiB of live heap, it returns an error
// diagnostic at once. The abandoned evaluation goes on in the background
// until the process exits, which the caller then does.
func (a *app) load(path string, opts lang.Options) (*lang.Runbook, hcl.Diagnostics) {
	if opts.StateKinds == nil {
		opts.StateKinds = a.stores.BlockSettings()
	}
	if opts.Drivers.Default() == nil {
		opts.Drivers = a.drivers
	}

	if !collectorSet && os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	}
	timeout := defaultLoadTimeout
	if s := os.Getenv("RUNBOOK_LOAD_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			timeout = d
		}
	}
	type loaded struct {
		rb    *lang.Runbook
		diags hcl.Diagnostics
	}
	done := make(chan loaded, 1)
	go func() {
		rb, diags := lang.Load(path, opts)
		done <- loaded{rb, diags}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tooExpensive := func(what string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Runbook too expensive to evaluate",
			Detail: fmt.Sprintf("Evaluating %s %s, and was stopped. An expression asks for far more values than a runbook needs: look for nested for expressions over large collections, or locals that grow from one another.", path, what)}}
	}
	for {
		select {
		case l := <-done:
			return l.rb, l.diags
		case <-deadline:
			return nil, tooExpensive(fmt.Sprintf("took longer than %s", timeout))
		case <-tick.C:
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > loadHeapLimit {
				return nil, tooExpensive(fmt.Sprintf("needed more than %d GiB of memory", loadHeapLimit>>30))
			}
		}
	}
}

// loadRunbook loads the runbook for plan, run, status and unlock. It prints
// the diagnostics (errors and warnings) to stderr and returns nil when the
// runbook is invalid.
func (a *app) loadRunbook(path string, vars varArgs, requireValues bool) *lang.Runbook {
	rb, _ := a.loadRunbookDiags(path, vars, requireValues, nil)
	return rb
}

// loadRunbookDiags is loadRunbook that also returns the diagnostics, for a
// --json view to print them (validateJSON's shape) when the runbook is
// invalid. decoded, if set, is lang.Options.Decoded.
func (a *app) loadRunbookDiags(path string, vars varArgs, requireValues bool, decoded func(*lang.Runbook)) (*lang.Runbook, hcl.Diagnostics) {
	rb, diags := a.load(path, lang.Options{
		Registry:      a.registry,
		Vars:          vars.Vars,
		VarFiles:      vars.VarFiles,
		Env:           os.Environ(),
		RequireValues: requireValues,
		Decoded:       decoded,
	})
	var files map[string]*hcl.File
	if rb != nil {
		files = rb.Files
	}
	a.hide(rb)
	if len(diags) > 0 {
		p := &diagPrinter{w: a.stderr, files: files, width: columns(a.stderr), color: a.color,
			hint: fmt.Sprintf("`runbook validate --json %s` lists them all", path)}
		p.write(diags)
	}
	if diags.HasErrors() || rb == nil {
		errs, _ := countDiags(diags)
		a.messages().Invalid(path, errs)
		return nil, diags
	}
	// The diagnostics are written: what follows needs only the files'
	// text (the run's digest of it), and the memory of their syntax trees
	// is the run's.
	rb.DropSyntax()
	return rb, diags
}

// runtimeRunbook is what the runtime executes of a loaded runbook.
func runtimeRunbook(rb *lang.Runbook) *runtime.Runbook {
	out := &runtime.Runbook{Name: rb.Name, Cluster: rb.Cluster, Steps: slices.Grow([]runtime.Step(nil), len(rb.Steps))}
	for _, s := range rb.Steps {
		out.Steps = append(out.Steps, runtime.Step{Instance: s.Instance, When: s.When})
	}
	return out
}
