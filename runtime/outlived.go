package runtime

import (
	"slices"
	"time"
)

// LiveCommand is the command of an operation in doubt that may still act
// on the cluster: a run started it and died (or gave up on it) before its
// outcome was recorded.
type LiveCommand struct {
	// Address is the step's, Op the operation's.
	Address, Op string
	Pgid        int
	Host, Boot  string
	// Started is when its start was recorded.
	Started time.Time
	// Elsewhere is set when it runs on another machine (Host), where this
	// process cannot see whether it still runs: it is listed whatever its
	// state.
	Elsewhere bool
}

// LiveCommands returns the commands of the journal's operations in doubt
// that may still run: those of the steps not settled whose process group
// is alive on this machine and boot (what a resumed run waits for before
// it reads the cluster), and those that ran on another machine.
func LiveCommands(recs []Record) []LiveCommand {
	var out []LiveCommand
	for addr, last := range StepStatuses(recs) {
		if last.Status != StatusStarted && last.Status != StatusInDoubt {
			continue
		}
		for _, d := range InDoubt(recs, addr) {
			alive, elsewhere := d.running()
			if !alive && !elsewhere {
				continue
			}
			lc := LiveCommand{Address: addr, Op: d.Op, Pgid: d.Pgid, Host: d.Host, Boot: d.Boot, Started: d.Time, Elsewhere: elsewhere}
			for _, r := range recs {
				if r.Type == RecordOpStarted && r.Address == addr && r.Op == d.Op && r.Pgid == d.Pgid {
					lc.Started = r.Time
				}
			}
			out = append(out, lc)
		}
	}
	slices.SortFunc(out, func(a, b LiveCommand) int { return a.Started.Compare(b.Started) })
	return out
}
