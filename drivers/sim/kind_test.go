package sim

import (
	"testing"
	"time"

	"github.com/runbookhq/runbook/drivers"
)

// TestTimingsHaveOneOwner: the sim block's schema carries the default
// timings, which the language fills in when it decodes the block; TimingsOf
// takes a decoded block as it is and fills in nothing a second time.
func TestTimingsHaveOneOwner(t *testing.T) {
	def := DefaultTimings()
	settings := (Kind{}).Block().Settings
	if len(settings) != len(TimingNames) {
		t.Fatalf("the sim block has %d settings; want %d, one a timing", len(settings), len(TimingNames))
	}
	for _, s := range settings {
		if d, _ := def.Get(s.Name); s.Default != d {
			t.Errorf("the sim block's %s defaults to %v; want %s (DefaultTimings)", s.Name, s.Default, d)
		}
	}
	got := TimingsOf(drivers.NewConfig(true, map[string]any{"upgrade": time.Hour}, nil))
	if want := (Timings{Upgrade: time.Hour}); got != want {
		t.Errorf("TimingsOf a block with only upgrade = %+v; want %+v (no default applied again)", got, want)
	}
	if got := TimingsOf(nil); got != def {
		t.Errorf("TimingsOf(nil) = %+v; want DefaultTimings %+v", got, def)
	}
}
