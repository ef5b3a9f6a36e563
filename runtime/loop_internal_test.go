package runtime

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/runbookhq/runbook/cluster"
)

// TestChangeArena: the steps' lists and the pointers keep hands out hold
// what appending each change to its own list and copying it for its event
// would hold, the slow way, however the steps' changes fall across chunks;
// and what was handed out is not changed by what comes later, nor by a
// caller's append to a list.
func TestChangeArena(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var a changeArena
		var lists [][]Change // what the arena gave each step
		var want [][]Change  // the slow way
		type handed struct {
			p *Change
			c Change
		}
		var ptrs []handed
		n := 0
		for step := 0; step < 40; step++ {
			lists = append(lists, nil)
			want = append(want, nil)
			// Steps of a few changes, and a few of thousands, as a media
			// upgrade makes.
			size := rng.Intn(6)
			if rng.Intn(8) == 0 {
				size = rng.Intn(3 * changeChunk)
			}
			for i := 0; i < size; i++ {
				c := Change{Kind: ChangeResource, Name: fmt.Sprintf("R%d", n)}
				n++
				if rng.Intn(10) == 0 {
					// A change outside any step.
					ptrs = append(ptrs, handed{a.keep(nil, c), c})
					continue
				}
				want[step] = append(want[step], c)
				ptrs = append(ptrs, handed{a.keep(&lists[step], c), c})
				if cap(lists[step]) != len(lists[step]) {
					t.Fatalf("seed %d: a step's list has room to grow into the arena", seed)
				}
			}
			if len(lists[step]) > 0 && rng.Intn(4) == 0 {
				// A caller's append copies the list.
				_ = append(lists[step], Change{Kind: "clobber"})
			}
		}
		for i := range want {
			if !slices.Equal(lists[i], want[i]) {
				t.Fatalf("seed %d: step %d lists %v, want %v", seed, i, lists[i], want[i])
			}
		}
		for i, h := range ptrs {
			if *h.p != h.c {
				t.Fatalf("seed %d: change %d handed out reads %v, want %v", seed, i, *h.p, h.c)
			}
		}
	}
}

// TestOfflineAsScanned: offline lists what ResourceNames lists that is not
// running, in the same order.
func TestOfflineAsScanned(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	states := []string{cluster.ResourceRunning, cluster.ResourceOffline, cluster.ResourceUpgrade, cluster.ResourceComatose}
	for round := 0; round < 50; round++ {
		st := cluster.NewStatus()
		for i := 0; i < rng.Intn(40); i++ {
			st.SetResource(fmt.Sprintf("R%d", rng.Intn(100)), cluster.ResourceStatus{State: states[rng.Intn(len(states))], Node: "A"})
		}
		var want []string
		for _, name := range st.ResourceNames() {
			if st.Resources[name].State != cluster.ResourceRunning {
				want = append(want, name)
			}
		}
		if got := offline(st); !slices.Equal(got, want) {
			t.Fatalf("round %d: offline = %v; want %v", round, got, want)
		}
	}
}
