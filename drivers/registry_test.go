package drivers_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
)

type kind struct{ name string }

func (k kind) Name() string                                                   { return k.name }
func (k kind) Doc() string                                                    { return "" }
func (k kind) Block() drivers.Block                                           { return drivers.Block{} }
func (k kind) Open(context.Context, drivers.Opening) (*drivers.Opened, error) { return nil, nil }

type simKind struct{ kind }

func (simKind) Simulated() {}

func TestRegistry(t *testing.T) {
	r := drivers.NewRegistry(simKind{kind{"a"}}, kind{"b"}, kind{"c"})
	if diff := cmp.Diff([]string{"a", "b", "c"}, r.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if r.Default().Name() != "a" || r.Simulator().Name() != "a" {
		t.Errorf("default %s, simulator %s", r.Default().Name(), r.Simulator().Name())
	}
	r2 := r.With(kind{"d"}, kind{"b"})
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, r2.Names()); diff != "" {
		t.Errorf("with (-want +got):\n%s", diff)
	}
	if len(r.Names()) != 3 {
		t.Errorf("With changed the registry it was called on: %v", r.Names())
	}
	if _, ok := r.Kind("d"); ok {
		t.Error("kind d in the first registry")
	}
	if drivers.Simulated(kind{"b"}) || !drivers.Simulated(simKind{}) {
		t.Error("Simulated")
	}
	if (drivers.Registry{}).Default() != nil || (drivers.Registry{}).Simulator() != nil {
		t.Error("an empty registry has a default")
	}
	if got := drivers.Either([]string{"a", "b", "c"}); got != "a, b or c" {
		t.Errorf("Either = %q", got)
	}
}

func TestParseFault(t *testing.T) {
	kinds := []drivers.FaultKind{{Kind: "reboot-fails", Target: "node"}, {Kind: "stalls", Target: "resource"}}
	f, err := drivers.ParseFault("stalls:R1", kinds)
	if err != nil || f != (drivers.Fault{Kind: "stalls", Target: "R1"}) || f.TargetKind(kinds) != "resource" || f.String() != "stalls:R1" {
		t.Errorf("ParseFault = %v (%s), %v", f, f.TargetKind(kinds), err)
	}
	for in, want := range map[string]string{
		"stalls":        `fault "stalls": want KIND:TARGET, for example reboot-fails:FS2`,
		"nope:FS1":      `fault "nope:FS1": unknown kind "nope"; the kinds are reboot-fails, stalls`,
		"reboot-fails:": `fault "reboot-fails:": want KIND:TARGET, for example reboot-fails:FS2`,
	} {
		if _, err := drivers.ParseFault(in, kinds); err == nil || err.Error() != want {
			t.Errorf("ParseFault(%q) = %v, want %s", in, err, want)
		}
	}
}

func TestConfig(t *testing.T) {
	var c *drivers.Config
	if c.Duration("poll") != 0 || c.Operations().Declared("upgrade") {
		t.Error("a nil Config has values")
	}
	if cmd, declared, err := c.Operations().Command("upgrade", cluster.Subject{}); declared || err != nil || cmd.String() != "" {
		t.Error("a nil Config has commands")
	}
}
