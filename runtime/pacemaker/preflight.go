package pacemaker

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbookhq/runbook/steps"
)

// FailbackOf maps a resource-stickiness value to the runbook's failback
// mode: 0 (or unset) is automatic failback, INFINITY manual. Any other
// value is neither: the resource may or may not return home by itself,
// depending on its location scores.
func FailbackOf(stickiness string) (mode string, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(stickiness)) {
	case "", "0", "+0", "-0":
		return steps.FailbackAuto, true
	case "INFINITY", "+INFINITY":
		return steps.FailbackManual, true
	}
	return "", false
}

// Mismatch is a resource whose declared failback mode is not the one its
// stickiness gives it.
type Mismatch struct {
	Resource   string
	Declared   string // the runbook's failback
	Stickiness string // the CIB's resource-stickiness ("" when unset)
}

func (m Mismatch) String() string {
	shown := m.Stickiness
	if shown == "" {
		shown = "unset (0)"
	}
	want := "0"
	if m.Declared == steps.FailbackManual {
		want = "INFINITY"
	}
	got, ok := FailbackOf(m.Stickiness)
	if !ok {
		got = "neither auto nor manual"
	}
	return fmt.Sprintf("resource %s: the runbook declares failback %q, cluster reports resource-stickiness %s (%s); set failback = %q in the runbook, or resource-stickiness=%s on the resource",
		m.Resource, m.Declared, shown, got, orAuto(got), want)
}

func orAuto(mode string) string {
	if mode == steps.FailbackManual {
		return mode
	}
	return steps.FailbackAuto
}

// CheckFailback compares each resource's declared failback mode with its
// stickiness in the CIB. Resources the CIB does not have are left to the
// runtime's comparison of the cluster with the runbook.
func (d *Driver) CheckFailback(ctx context.Context, rs []steps.Resource) ([]Mismatch, error) {
	cib, err := d.cib(ctx)
	if err != nil {
		return nil, err
	}
	var out []Mismatch
	for _, r := range rs {
		stick, ok := cib.Stickiness[r.Name]
		if !ok {
			continue
		}
		declared := r.Failback
		if declared == "" {
			declared = steps.FailbackAuto
		}
		if mode, ok := FailbackOf(stick); !ok || mode != declared {
			out = append(out, Mismatch{Resource: r.Name, Declared: declared, Stickiness: stick})
		}
	}
	return out, nil
}

// Preflight compares the runbook's declared failback modes with the
// cluster's stickiness before a run, and returns an error that lists every
// mismatch, in the words of the runtime's drift report: the run would
// otherwise wait for failbacks that never come, or see resources come home
// it meant to move.
func Preflight(ctx context.Context, d *Driver, rs []steps.Resource) error {
	mm, err := d.CheckFailback(ctx, rs)
	if err != nil {
		return fmt.Errorf("pacemaker: reading the resources' stickiness: %w", err)
	}
	if len(mm) == 0 {
		return nil
	}
	return &DriftError{Mismatches: mm}
}

// DriftError is Preflight's refusal: the cluster's stickiness differs from
// the failback the runbook declares.
type DriftError struct {
	Mismatches []Mismatch
}

// Summary is the refusal in one line.
func (e *DriftError) Summary() string {
	return fmt.Sprintf("the cluster differs from what the runbook declares in %d place(s); nothing was done", len(e.Mismatches))
}

// Differences says each mismatch in a line.
func (e *DriftError) Differences() []string {
	lines := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		lines[i] = m.String()
	}
	return lines
}

func (e *DriftError) Error() string {
	return fmt.Sprintf("%s:\n  %s\nFailback comes from each resource's resource-stickiness (0 is auto, INFINITY is manual)",
		e.Summary(), strings.Join(e.Differences(), "\n  "))
}

// cib reads the CIB on a node that answers with a DC.
func (d *Driver) cib(ctx context.Context) (*crmConfig, error) {
	_, via, err := d.monitor(ctx)
	if err != nil {
		return nil, err
	}
	out, err := d.call(ctx, via, "cibadmin", "--query")
	if err != nil {
		return nil, err
	}
	return parseCIB(out)
}
