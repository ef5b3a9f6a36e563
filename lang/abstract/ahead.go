package abstract

import (
	"runtime"

	"github.com/runbookhq/runbook/steps"
)

// The ordering rules ahead of the model.
//
// Each step's ordering rules (order.next: Before, Provides) read what the
// steps before it provided, and the model's side (modelSide.step: Check,
// Run) reads what the rules said about the step: its verdict. Nothing else
// goes from the model back to the rules but for two questions, the model's
// status and whether a fact was refused (Order.Status, Order.Refused). So
// on a machine with more than one processor a long run asks the rules on a
// goroutine of their own, which hands the model's side batches of items in
// the order of the steps; the model's side alone reports to the Report, in
// that order, as the run on one goroutine does. A rule that asks the
// model's side a question first waits for it to have run every step
// before the current one (a sync): the model's side then waits for the
// next batch, so that the rules read it at rest. A run whose rules ask
// such questions often (more than maxSyncs times) is handed back to one
// goroutine at the next step: each sync costs both goroutines a wait.

// DefaultAhead is the least number of steps for which the ordering rules
// run ahead of the model (Options.Ahead 0).
const DefaultAhead = 256

const (
	// firstBatch and maxBatch bound the number of items a batch hands
	// over: small at first, so that the model's side starts early.
	firstBatch, maxBatch = 16, 1024
	// maxSyncs is the number of syncs after which the rules hand the run
	// back to one goroutine.
	maxSyncs = 32
)

// batch is the items of steps from, from+1, ... in order.
type batch struct {
	from  int
	items []item
	// sync is set when the rules wait for the model's side to have run
	// these items (pipe.ack).
	sync bool
	// last is set on the last batch: the model's side asks the rules
	// about the steps from next on itself, if any.
	last bool
	next int
}

// pipe is how the rules hand their items to the model's side.
type pipe struct {
	batches chan batch
	ack     chan struct{}
	// pend are the items not handed over yet, of steps from on.
	pend  []item
	from  int
	size  int
	syncs int
}

// ahead reports whether a run of n steps has its rules run ahead.
func ahead(opts Options, n int) bool {
	switch {
	case opts.Ahead < 0:
		return false
	case opts.Ahead == 0 && n < DefaultAhead, opts.Ahead > 0 && n < opts.Ahead:
		return false
	}
	return runtime.GOMAXPROCS(0) > 1 || opts.Ahead > 0
}

// follow runs the n steps of o's sequence on the model, asking the rules
// about each first: on this goroutine, or ahead on another one. It
// returns false when the model could not go on (the run then reports
// nothing more).
func (m *modelSide) follow(o *order, n int) bool {
	i, ok := 0, true
	if ahead(m.opts, n) {
		p := &pipe{batches: make(chan batch, 64), ack: make(chan struct{}), size: firstBatch}
		o.pipe = p
		// The facts of the steps are worked out in two halves at once:
		// the first here, the second by the rules' goroutine, which then
		// puts them after the first and goes on.
		h := n / 2
		first := make(chan []steps.Fact, 1)
		go func() {
			second := o.factsOf(h, n, make([]steps.Fact, 0, (n-h)+(n-h)/2))
			all := <-first
			for i := h; i < n; i++ {
				o.at[i] += int32(len(all))
			}
			o.all = append(all, second...)
			o.at[n] = int32(len(o.all))
			o.room()
			o.runAhead(n)
		}()
		// Room for all of them, at about one and a half a step.
		first <- o.factsOf(0, h, make([]steps.Fact, 0, n+n/2))
		for {
			b := <-p.batches
			for k, it := range b.items {
				// Once the model stopped, the rules' items are only
				// drained, so that they come to their end.
				ok = ok && m.step(b.from+k, it)
			}
			if b.sync {
				p.ack <- struct{}{}
			}
			if b.last {
				i = b.next
				break
			}
		}
		// The rules' goroutine has handed everything over and ended.
		o.pipe = nil
	} else {
		o.plan()
	}
	for ; i < n && ok; i++ {
		ok = m.step(i, o.next(i))
	}
	return ok
}

// runAhead asks the rules about every step, handing the items to the
// model's side in batches; after too many syncs it hands the rest of the
// run back.
func (o *order) runAhead(n int) {
	p := o.pipe
	for i := range n {
		if p.syncs > maxSyncs {
			p.hand(batch{last: true, next: i})
			return
		}
		p.pend = append(p.pend, o.next(i))
		if len(p.pend) >= p.size {
			p.hand(batch{})
			p.size = min(2*p.size, maxBatch)
		}
	}
	p.hand(batch{last: true, next: n})
}

// hand hands the pending items over in b.
func (p *pipe) hand(b batch) {
	b.from, b.items = p.from, p.pend
	p.from += len(p.pend)
	p.pend = make([]item, 0, p.size)
	p.batches <- b
}

// sync waits, while the rules run ahead, for the model's side to have run
// every step before the current one.
func (o *order) sync() {
	p := o.pipe
	if p == nil {
		return
	}
	p.syncs++
	p.hand(batch{sync: true})
	<-p.ack
}
