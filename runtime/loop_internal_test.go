package runtime

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// TestChangeArena: the steps' lists and the pointers keep hands out hold
// what appending each change to its own list and copying it for its event
// would hold, the slow way, however the steps' changes fall across chunks;
// and what was handed out is not changed by what comes later, nor by a
// caller's append to a list; with its chunks made ready elsewhere or not.
func TestChangeArena(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var a changeArena
		if seed%2 == 1 {
			// Chunks made ready elsewhere, when there is one.
			a.newChunk = func() []Change {
				if rng.Intn(3) == 0 {
					return nil
				}
				return touched(make([]Change, 0, readyChanges))
			}
		}
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
				if rng.Intn(50) == 0 {
					// A status read says how many changes follow.
					a.reserve(&lists[step], rng.Intn(2*changeChunk))
				}
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
			if (lists[i] == nil) != (want[i] == nil) {
				t.Fatalf("seed %d: step %d lists %#v, want %#v", seed, i, lists[i], want[i])
			}
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

// TestTextsAsJoined: what texts makes reads as what + and String make,
// and stays so while more is made after it, across chunks.
func TestTextsAsJoined(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var tx texts
	o := &observer{}
	type made struct{ got, want string }
	var all []made
	words := []string{"", "node", "R12", "→", "a rather longer piece of text than the others", "N00042", "6.5"}
	states := []string{"", cluster.NodeUp, cluster.NodeDown, cluster.ResourceRunning, cluster.ResourceOffline, cluster.ResourceUpgrade, cluster.ResourceComatose}
	kinds := []string{ChangeNode, ChangeResource, ChangeLicense, ChangeMedia, "other"}
	pick := func(list []string) string { return list[rng.Intn(len(list))] }
	for i := 0; i < 20000; i++ {
		switch rng.Intn(4) {
		case 3:
			prefix, d := pick(words), time.Duration(rng.Int63n(int64(3*time.Hour)))
			all = append(all, made{tx.joinDuration(prefix, d), prefix + fmtDuration(d)})
		case 0:
			parts := make([]string, rng.Intn(6))
			want := ""
			for j := range parts {
				parts[j] = pick(words)
				want += parts[j]
			}
			all = append(all, made{tx.join(parts...), want})
		case 1:
			c := Change{Kind: pick(kinds), Name: pick(words), FromState: pick(states), ToState: pick(states), FromNode: pick(words), ToNode: pick(words),
				FromVersion: pick(words), ToVersion: pick(words), Product: pick(words), FromMedia: pick(words), ToMedia: pick(words), Unplanned: rng.Intn(2) == 0}
			all = append(all, made{tx.change(&c), c.String()})
		default:
			op, subj := pick(words), make([]string, rng.Intn(4))
			for j := range subj {
				subj[j] = pick(words)
			}
			all = append(all, made{o.key(op, subj...), cluster.OpKey(op, subj...)})
		}
	}
	// A huge piece, larger than a chunk.
	big := strings.Repeat("x", 3*textChunk)
	all = append(all, made{tx.join("a", big), "a" + big})
	for i, m := range all {
		if m.got != m.want {
			t.Fatalf("text %d reads %q; want %q", i, m.got, m.want)
		}
	}
}

// TestChangeWords: what a change says, case by case, as String said it
// before it was made of words.
func TestChangeWords(t *testing.T) {
	for _, tc := range []struct {
		c    Change
		want string
	}{
		{Change{Kind: ChangeNode, Name: "A", ToState: "up", ToVersion: "6.5"}, "node A appeared, up at 6.5"},
		{Change{Kind: ChangeNode, Name: "A", FromState: "up"}, "node A disappeared"},
		{Change{Kind: ChangeNode, Name: "A", FromState: "down", ToState: "up", ToVersion: "6.5"}, "node A up at 6.5"},
		{Change{Kind: ChangeNode, Name: "A", FromState: "up", ToState: "down"}, "node A down"},
		{Change{Kind: ChangeNode, Name: "A", FromState: "up", ToState: "up", FromVersion: "6.5", ToVersion: "6.5", FromMedia: "6.0", ToMedia: "6.5"}, "node A read the media at 6.5"},
		{Change{Kind: ChangeNode, Name: "A", FromState: "down", ToState: "down", FromVersion: "6.0", ToVersion: "6.5"}, "node A at 6.5"},
		{Change{Kind: ChangeResource, Name: "R", ToState: "running", ToNode: "A"}, "resource R appeared, running on A"},
		{Change{Kind: ChangeResource, Name: "R", ToState: "offline", ToNode: "A"}, "resource R appeared, offline (last on A)"},
		{Change{Kind: ChangeResource, Name: "R", ToState: "offline"}, "resource R appeared, offline"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running"}, "resource R disappeared!"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running", ToState: "running", FromNode: "A", ToNode: "B"}, "resource R moved A → B"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "offline", ToState: "running", ToNode: "B"}, "resource R online on B"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running", ToState: "comatose", ToNode: "B"}, "resource R comatose on B!"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running", ToState: "offline", Unplanned: true}, "resource R went offline!"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running", ToState: "upgrade"}, "resource R brought offline for the media upgrade (state upgrade)"},
		{Change{Kind: ChangeResource, Name: "R", FromState: "running", ToState: "offline"}, "resource R offline"},
		{Change{Kind: ChangeLicense, Product: "NCS", FromVersion: "6.5"}, "licence NCS 6.5 removed"},
		{Change{Kind: ChangeLicense, Product: "NCS", ToVersion: "6.5"}, "licence NCS 6.5 installed"},
		{Change{Kind: ChangeMedia, ToVersion: "6.5"}, "media at 6.5"},
		{Change{Kind: "x"}, "x changed"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%+v says %q; want %q", tc.c, got, tc.want)
		}
	}
	for _, w := range []struct{ state, node, want string }{
		{"running", "A", "running on A"}, {"offline", "A", "offline (last on A)"}, {"offline", "", "offline"}} {
		if got := resourceWhere(w.state, w.node); got != w.want {
			t.Errorf("resourceWhere(%q, %q) = %q; want %q", w.state, w.node, got, w.want)
		}
	}
}

// TestDurationAsFormatted holds appendDuration, which fmtDuration and the
// steps' events use, to the durations fmt made before: every tenth of a
// second under a minute, every millisecond under a tenth, and durations of
// every size, negative ones too.
func TestDurationAsFormatted(t *testing.T) {
	formatted := func(d time.Duration) string {
		if d == 0 {
			return "0s"
		}
		if d > 0 && d < time.Minute && d%time.Second != 0 {
			if d < 100*time.Millisecond {
				return fmt.Sprintf("%dms", max(d.Round(time.Millisecond), time.Millisecond)/time.Millisecond)
			}
			if r := d.Round(100 * time.Millisecond); r%time.Second != 0 {
				return fmt.Sprintf("%.1fs", r.Seconds())
			}
		}
		d = d.Round(time.Second)
		h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
		switch {
		case h > 0 && m == 0 && s == 0:
			return fmt.Sprintf("%dh", h)
		case h > 0 && s == 0:
			return fmt.Sprintf("%dh%dm", h, m)
		case h > 0:
			return fmt.Sprintf("%dh%dm%ds", h, m, s)
		case m > 0 && s == 0:
			return fmt.Sprintf("%dm", m)
		case m > 0:
			return fmt.Sprintf("%dm%ds", m, s)
		}
		return fmt.Sprintf("%ds", s)
	}
	var ds []time.Duration
	for k := time.Duration(0); k <= 700; k++ {
		ds = append(ds, k*100*time.Millisecond, k*100*time.Millisecond+49*time.Millisecond, k*100*time.Millisecond+50*time.Millisecond, k*time.Millisecond, k*time.Millisecond+499*time.Microsecond, k*time.Millisecond+500*time.Microsecond)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		ds = append(ds, time.Duration(rng.Int63n(int64(200*time.Hour))), time.Duration(rng.Int63n(int64(2*time.Minute))), time.Duration(rng.Int63n(int64(time.Second))))
	}
	for _, d := range append(ds, 1, time.Hour, 61*time.Minute, time.Hour+time.Second, -1, -time.Second, -90*time.Second, -2*time.Hour-30*time.Second, 1<<63-1, -1<<63) {
		want := formatted(d)
		if got := fmtDuration(d); got != want {
			t.Fatalf("%d: %q, want %q", d, got, want)
		}
		if got := string(appendDuration([]byte("x"), d)); got != "x"+want {
			t.Fatalf("%d: appended %q, want %q", d, got, "x"+want)
		}
	}
}
