package pacemaker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// FailbackOf maps a resource-stickiness value to the runbook's failback
// mode: 0 (or unset) is automatic failback, INFINITY (1000000 or more, as
// Pacemaker caps scores) manual. Any other value is neither: the resource
// may or may not return home by itself, depending on its location scores.
func FailbackOf(stickiness string) (mode string, ok bool) {
	if strings.TrimSpace(stickiness) == "" {
		return cluster.FailbackAuto, true
	}
	switch n, ok := parseScore(stickiness); {
	case !ok:
		return "", false
	case n == 0:
		return cluster.FailbackAuto, true
	case n >= infinity:
		return cluster.FailbackManual, true
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
	if m.Declared == cluster.FailbackManual {
		want = "INFINITY"
	}
	got, ok := FailbackOf(m.Stickiness)
	if !ok {
		return fmt.Sprintf("resource %s: the runbook declares failback %q, cluster reports resource-stickiness %s, which is neither auto (0) nor manual (INFINITY): whether it returns home by itself depends on its location scores; set resource-stickiness=%s on the resource",
			m.Resource, m.Declared, shown, want)
	}
	return fmt.Sprintf("resource %s: the runbook declares failback %q, cluster reports resource-stickiness %s (%s); set failback = %q in the runbook, or resource-stickiness=%s on the resource",
		m.Resource, m.Declared, shown, got, got, want)
}

// CheckFailback compares each resource's declared failback mode with its
// stickiness in the CIB. Resources the CIB does not have are left to the
// runtime's comparison of the cluster with the runbook.
func (d *Driver) CheckFailback(ctx context.Context, rs []cluster.Resource) ([]Mismatch, error) {
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
			declared = cluster.FailbackAuto
		}
		if mode, ok := FailbackOf(stick); !ok || mode != declared {
			out = append(out, Mismatch{Resource: r.Name, Declared: declared, Stickiness: stick})
		}
	}
	return out, nil
}

// Preflight compares the runbook with the live cluster before a run (and
// plan --driver pacemaker) and returns an error that lists every
// difference, in the words of the runtime's drift report: each declared
// failback mode against the resource's stickiness (the run would otherwise
// wait for failbacks that never come, or see resources come home it meant
// to move), and, for each node the runbook takes out (Config.Leaves) that
// is not yet at its version, where Pacemaker would run its resources once
// it leaves, and whether those homed there could come back (see
// Refusal): an operator's ban found at the first leave, not the third.
func Preflight(ctx context.Context, d *Driver, rs []cluster.Resource) error {
	mm, err := d.CheckFailback(ctx, rs)
	if err != nil {
		return fmt.Errorf("pacemaker: reading the resources' stickiness: %w", err)
	}
	refusals, err := d.CheckLeaves(ctx)
	if err != nil {
		return fmt.Errorf("pacemaker: reading where the resources would go: %w", err)
	}
	if len(mm)+len(refusals) == 0 {
		return nil
	}
	return &DriftError{Mismatches: mm, Placements: refusals}
}

// CheckLeaves computes, for each node of Config.Leaves not yet at its
// version, where Pacemaker would run its resources when it leaves (every
// other node up, as the runbook has it then), against their preferred
// lists, and whether each resource homed there could come back.
func (d *Driver) CheckLeaves(ctx context.Context) ([]Refusal, error) {
	if len(d.cfg.Leaves) == 0 {
		return nil, nil
	}
	mon, cib, err := d.read(ctx)
	if err != nil {
		return nil, err
	}
	var out []Refusal
	now := time.Now()
	for _, l := range d.cfg.Leaves {
		if v, err := d.readVersion(ctx, l.Node); err == nil && cluster.CompareVersions(v, l.To) >= 0 {
			continue
		}
		out = append(out, d.leaveRefusals(mon, cib, l.Node, true, now)...)
	}
	return out, nil
}

// DriftError is Preflight's refusal: the cluster's stickiness differs from
// the failback the runbook declares, or its constraints would send a
// resource elsewhere than the runbook's preferred lists say.
type DriftError struct {
	Mismatches []Mismatch
	Placements []Refusal
}

// Summary is the refusal in one line.
func (e *DriftError) Summary() string {
	return fmt.Sprintf("the cluster differs from what the runbook declares in %d place(s); nothing was done", len(e.Mismatches)+len(e.Placements))
}

// Differences says each mismatch in a line.
func (e *DriftError) Differences() []string {
	var lines []string
	for _, m := range e.Mismatches {
		lines = append(lines, m.String())
	}
	for _, r := range e.Placements {
		lines = append(lines, r.String()+" (when "+r.Node+" leaves for its upgrade)")
	}
	return lines
}

func (e *DriftError) Error() string {
	var notes []string
	if len(e.Mismatches) > 0 {
		notes = append(notes, "Failback comes from each resource's resource-stickiness (0 is auto, INFINITY is manual)")
	}
	if len(e.Placements) > 0 {
		notes = append(notes, placementAdvice)
	}
	return fmt.Sprintf("%s:\n  %s\n%s", e.Summary(), strings.Join(e.Differences(), "\n  "), strings.Join(notes, "\n"))
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
