package runtime

import (
	"bytes"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// behind writes a State's records, and what is written through its
// Session, on a goroutine of its own, for a session that holds its writes
// back (LockOptions.WriteBehind, the simulator's runs): the journal's
// encoding and the session's writes are then off the run's goroutine.
//
// It is a delay line: the calls it makes to the session (the journal's
// appends, the streams' writes, BeginOp and EndOp) are those the run made,
// in the order it made them, only later. The session thus writes the same
// bytes, and what it holds back and writes of its own accord follows the
// same rules: a kill loses the last writes, of the journal and the streams
// alike, never a write without the ones made before it. A read of the
// session, a blob's replacement, a flush, the end of a stream and the
// session's end pass everything queued to the session first (drain). A
// write that fails fails the next one made through the State.
type behind struct {
	sess Session
	// bracketed is set when sess takes the operations' brackets
	// (OpBracket).
	bracketed bool
	// redact is the State's Redact, as of the last journal write queued.
	redact func(string) string

	mu sync.Mutex
	// moved is signalled when the writer takes what is queued, or is done
	// with it.
	moved sync.Cond
	// The queue: ops in order, the parts of the State's records and the
	// bytes they refer to; nrecs is how many records the parts hold.
	ops   []behindOp
	parts []recordPart
	data  []byte
	nrecs int
	// busy is set while a batch taken from the queue is written (by the
	// writer's goroutine, or by a drain): one at a time, in order.
	busy bool
	// err is the first write that failed: nothing after it is written;
	// bad is set with it, for a look without b.mu.
	err     error
	bad     atomic.Bool
	wake    chan struct{}
	done    chan struct{}
	started bool
	// stopped: the session's end; what is written after it is written
	// at once.
	stopped bool
	timer   *time.Timer
	// The writer's: the arrays of the last batch, for the next queue, and
	// the journal's encoding buffers.
	spareOps   []behindOp
	spareParts []recordPart
	spareData  []byte
	enc        encoder
	fill       behindFill
	// chunk is a chunk for the State's records that the writer made
	// ready (nextChunk); changes one for the run's changes, once asked
	// for one (nextChanges).
	chunk        []compact
	changes      []Change
	wantsChanges bool
}

// readyChanges is how many changes a chunk the writer makes ready for the
// run's changes holds.
const readyChanges = 2048

type behindOp struct {
	kind uint8
	// begin and end, on a journal write, open the operation's bracket
	// before it (BeginOp) and close it after it (EndOp).
	begin, end bool
	w          io.Writer
	from, to   int
}

const (
	opJournal uint8 = iota
	opStream
	opBegin
	opEnd
)

// How much is queued before the writer is woken, and at most (the run then
// waits for the writer); how long a write waits for the writer when less
// is queued.
const (
	behindWake     = 256
	behindWakeData = 64 << 10
	behindMax      = 16 * behindWake
	behindMaxData  = 4 << 20
	behindDelay    = 5 * time.Millisecond
)

func newBehind(sess Session) *behind {
	b := &behind{sess: sess, wake: make(chan struct{}, 1), done: make(chan struct{})}
	_, b.bracketed = sess.(OpBracket)
	b.moved.L = &b.mu
	return b
}

// queued reports whether enough is queued to wake the writer. The caller
// holds b.mu.
func (b *behind) queued() bool {
	return b.nrecs >= behindWake || len(b.data) >= behindWakeData
}

// added wakes the writer when enough is queued, or arms the timer that
// wakes it when the first op is queued; past behindMax it waits for the
// writer to take the queue. The caller holds b.mu.
func (b *behind) added(first bool) {
	if !b.started {
		b.started = true
		go b.loop()
	}
	switch {
	case b.queued():
		b.kick()
		for (b.nrecs >= behindMax || len(b.data) >= behindMaxData) && b.err == nil {
			b.kick()
			b.moved.Wait()
		}
	case first:
		if b.timer == nil {
			b.timer = time.AfterFunc(behindDelay, b.kick)
		} else {
			b.timer.Reset(behindDelay)
		}
	}
}

func (b *behind) kick() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// failed returns the first write that failed.
func (b *behind) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// append queues a journal write of the records in parts, encoded with
// redact. The records are the State's, kept: nobody changes them.
func (b *behind) append(parts []recordPart, n int, redact func(string) string) error {
	return b.appendBracketed(parts, n, redact, false, false)
}

// appendBracketed is append, with the operation's bracket opened before
// the journal write (begin: BeginOp) or closed after it (end: EndOp), as
// bracket queues them, under one hold of b.mu.
func (b *behind) appendBracketed(parts []recordPart, n int, redact func(string) string, begin, end bool) error {
	b.mu.Lock()
	if b.err != nil {
		defer b.mu.Unlock()
		return b.err
	}
	if b.stopped {
		b.mu.Unlock()
		return b.appendParts(parts, redact)
	}
	defer b.mu.Unlock()
	b.redact = redact
	first := len(b.ops) == 0
	from := len(b.parts)
	b.parts = append(b.parts, parts...)
	b.nrecs += n
	b.ops = append(b.ops, behindOp{kind: opJournal, from: from, to: len(b.parts), begin: begin && b.bracketed, end: end && b.bracketed})
	b.added(first)
	return nil
}

// appendParts encodes the records of parts and appends them to the
// journal, in one write.
func (b *behind) appendParts(parts []recordPart, redact func(string) string) error {
	if la, ok := b.sess.(LineAppender); ok {
		// Straight into the session's buffer: no copy of the lines.
		b.fill = behindFill{b: b, parts: parts, redact: redact}
		err := la.AppendLines(&b.fill)
		b.fill = behindFill{}
		return err
	}
	b.enc.reset()
	if err := b.encodeParts(parts, redact); err != nil {
		return err
	}
	lines := b.enc.lines()
	err := b.sess.Append(lines...)
	clear(lines)
	return err
}

// behindFill encodes a journal write's records into a session's buffer
// (LineAppender).
type behindFill struct {
	b      *behind
	parts  []recordPart
	redact func(string) string
}

func (f *behindFill) FillLines(buf []byte) ([]byte, error) {
	e := &f.b.enc
	own := e.buf
	e.buf, e.ends, e.nl = buf, e.ends[:0], true
	err := f.b.encodeParts(f.parts, f.redact)
	buf = e.buf
	e.buf, e.nl = own, false
	return buf, err
}

// encodeParts encodes the records of parts after what b.enc holds.
func (b *behind) encodeParts(parts []recordPart, redact func(string) string) error {
	for _, p := range parts {
		for i := range p.flat {
			if err := b.enc.add(&p.flat[i], redact); err != nil {
				return err
			}
		}
		for i := range p.chunk {
			if err := b.enc.addCompact(&p.chunk[i], redact); err != nil {
				return err
			}
		}
	}
	return nil
}

// write queues a write of p to w.
func (b *behind) write(w io.Writer, p []byte) error {
	b.mu.Lock()
	if b.err != nil {
		defer b.mu.Unlock()
		return b.err
	}
	if b.stopped {
		b.mu.Unlock()
		_, err := w.Write(p)
		return err
	}
	defer b.mu.Unlock()
	first := len(b.ops) == 0
	from := len(b.data)
	if cap(b.data)-len(b.data) < len(p) {
		b.data = slices.Grow(b.data, max(len(p), cap(b.data))) // doubled
	}
	b.data = append(b.data, p...)
	b.ops = append(b.ops, behindOp{kind: opStream, w: w, from: from, to: len(b.data)})
	b.added(first)
	return nil
}

// bracket queues BeginOp (begin) or EndOp.
func (b *behind) bracket(begin bool) {
	if !b.bracketed {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || b.err != nil {
		return
	}
	kind := opEnd
	if begin {
		kind = opBegin
	}
	first := len(b.ops) == 0
	b.ops = append(b.ops, behindOp{kind: kind})
	b.added(first)
}

func (b *behind) loop() {
	for {
		select {
		case <-b.wake:
		case <-b.done:
			return
		}
		b.mu.Lock()
		for {
			// Between batches too: the run may take chunks faster than
			// the queue empties.
			b.ready()
			if b.busy || len(b.ops) == 0 {
				break
			}
			b.writeQueued()
		}
		b.mu.Unlock()
	}
}

// ready makes the chunks ready that the run took (nextChunk, nextChanges),
// without b.mu held meanwhile. The caller holds b.mu.
func (b *behind) ready() {
	if b.chunk == nil && !b.stopped {
		b.mu.Unlock()
		c := touched(make([]compact, 0, recordChunk))
		b.mu.Lock()
		b.chunk = c
	}
	if b.changes == nil && b.wantsChanges && !b.stopped {
		b.mu.Unlock()
		c := touched(make([]Change, 0, readyChanges))
		b.mu.Lock()
		b.changes = c
	}
}

// nextChunk returns a chunk for the State's records: the one the writer
// made ready, or a new one.
func (b *behind) nextChunk() []compact {
	b.mu.Lock()
	c := b.chunk
	b.chunk = nil
	b.mu.Unlock()
	if c == nil {
		c = make([]compact, 0, recordChunk)
	}
	return c
}

// nextChanges returns a chunk for the run's changes that the writer made
// ready, or nil (the next one is then made ready).
func (b *behind) nextChanges() []Change {
	b.mu.Lock()
	c := b.changes
	b.changes, b.wantsChanges = nil, true
	b.mu.Unlock()
	return c
}

// touched writes to each page of c's array, so that the kernel maps them
// now: the first write to a page of fresh memory costs a page fault, which
// on the writer's goroutine the run does not wait for.
func touched[T any](c []T) []T {
	all := c[:cap(c)]
	var zero T
	step := max(1, 4096/int(unsafe.Sizeof(zero)))
	for i := 0; i < len(all); i += step {
		all[i] = zero
	}
	return c
}

// drain passes everything queued to the session, and returns the first
// write that failed.
func (b *behind) drain() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drainLocked()
	return b.err
}

// drainLocked waits for the writer and writes what is queued; the caller
// holds b.mu.
func (b *behind) drainLocked() {
	for b.busy || len(b.ops) > 0 {
		if b.busy {
			b.moved.Wait()
			continue
		}
		b.writeQueued()
	}
}

// writeQueued takes what is queued and writes it, without b.mu held
// meanwhile. The caller holds b.mu, and busy is not set.
func (b *behind) writeQueued() {
	ops, parts, data := b.ops, b.parts, b.data
	b.ops, b.parts, b.data, b.nrecs = b.spareOps[:0], b.spareParts[:0], b.spareData[:0], 0
	b.busy = true
	b.moved.Broadcast()
	failed, redact := b.err != nil, b.redact
	b.mu.Unlock()
	var err error
	if !failed { // nothing is written after a write that failed
		err = b.writeOps(ops, parts, data, redact)
	}
	clear(parts) // the records are the State's, not the queue's
	b.mu.Lock()
	if err != nil && b.err == nil {
		b.err = err
		b.bad.Store(true)
	}
	b.spareOps, b.spareParts = ops[:0], parts[:0]
	if cap(data) <= 4*behindMaxData {
		b.spareData = data[:0]
	}
	b.busy = false
	b.moved.Broadcast()
}

// writeOps makes the calls ops stand for. Only one goroutine at a time
// runs it (busy).
func (b *behind) writeOps(ops []behindOp, parts []recordPart, data []byte, redact func(string) string) error {
	for _, op := range ops {
		var err error
		switch op.kind {
		case opJournal:
			if op.begin {
				b.sess.(OpBracket).BeginOp()
			}
			err = b.appendParts(parts[op.from:op.to], redact)
			if op.end && err == nil {
				b.sess.(OpBracket).EndOp()
			}
		case opStream:
			_, err = op.w.Write(data[op.from:op.to])
		case opBegin:
			b.sess.(OpBracket).BeginOp()
		case opEnd:
			b.sess.(OpBracket).EndOp()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stop writes everything queued and ends the writer's goroutine; what is
// written after it is written at once.
func (b *behind) stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drainLocked()
	if !b.stopped {
		b.stopped = true
		close(b.done)
		if b.timer != nil {
			b.timer.Stop()
		}
	}
	return b.err
}

// encoder encodes records into journal lines, its buffers kept from one
// write to the next: the session copies what it writes.
type encoder struct {
	buf  []byte
	ends []int
	out  [][]byte
	tc   timeCache
	// nl ends each line with a newline, for a buffer that is the
	// journal's (LineAppender); lines then does not apply.
	nl bool
}

func (e *encoder) reset() {
	e.buf, e.ends = e.buf[:0], e.ends[:0]
}

// add encodes r, with redact (if set) hiding sensitive values in its texts
// before it is encoded, then in the encoded line.
func (e *encoder) add(r *Record, redact func(string) string) error {
	e.room(r.Changes)
	if redact != nil && (r.Error != "" || r.Command != "") {
		c := *r
		c.Error, c.Command = redact(c.Error), redact(c.Command)
		r = &c
	}
	start := len(e.buf)
	b, err := appendRecordWith(e.buf, r, &e.tc)
	if err != nil {
		return err
	}
	e.ended(b, start, redact)
	return nil
}

// addCompact encodes the record c keeps, as add encodes it.
func (e *encoder) addCompact(c *compact, redact func(string) string) error {
	if c.full != nil {
		return e.add(c.full, redact)
	}
	e.room(c.Changes)
	start := len(e.buf)
	b, err := appendCompact(e.buf, c, &e.tc)
	if err != nil {
		return err
	}
	e.ended(b, start, redact)
	return nil
}

// room doubles buf when little room is left in it for the next record
// (changes, its delta, may name thousands of nodes): append grows a large
// slice by a quarter at a time, some forty times over for a batch of ten
// thousand observations.
func (e *encoder) room(changes *Delta) {
	need := 2048
	if changes != nil {
		need += 80 * (len(changes.Nodes) + len(changes.Resources))
	}
	if cap(e.buf)-len(e.buf) < need {
		e.buf = slices.Grow(e.buf, max(cap(e.buf), need))
	}
}

// ended ends the line encoded in b from start, hidden by redact (if set).
func (e *encoder) ended(b []byte, start int, redact func(string) string) {
	if redact != nil {
		hidden := redact(string(b[start:]))
		b = append(b[:start], hidden...)
	}
	if e.nl {
		b = append(b, '\n')
	}
	e.buf, e.ends = b, append(e.ends, len(b))
}

// lines returns the lines encoded since reset, valid until the next.
func (e *encoder) lines() [][]byte {
	lines := e.out[:0]
	start := 0
	for _, end := range e.ends {
		lines = append(lines, e.buf[start:end:end])
		start = end
	}
	e.out = lines
	return lines
}

// behindSession is a State's Session when its writes are made by a behind:
// the streams' writes are queued with the journal's, and everything else
// passes what is queued to the session first.
type behindSession struct {
	b *behind
}

var (
	_ Session    = behindSession{}
	_ BlobWriter = behindSession{}
	_ LocalDir   = behindSession{}
)

func (s behindSession) Where(name string) string { return s.b.sess.Where(name) }

func (s behindSession) Journal() ([][]byte, error) {
	if err := s.b.drain(); err != nil {
		return nil, err
	}
	return s.b.sess.Journal()
}

func (s behindSession) Append(entries ...[]byte) error {
	if err := s.b.drain(); err != nil {
		return err
	}
	return s.b.sess.Append(entries...)
}

func (s behindSession) Get(name string) ([]byte, error) {
	if err := s.b.drain(); err != nil {
		return nil, err
	}
	return s.b.sess.Get(name)
}

func (s behindSession) Put(name string, data []byte) error {
	if err := s.b.drain(); err != nil {
		return err
	}
	return s.b.sess.Put(name, data)
}

func (s behindSession) PutWith(name string, write func(io.Writer) error) error {
	if err := s.b.drain(); err != nil {
		return err
	}
	if bw, ok := s.b.sess.(BlobWriter); ok {
		return bw.PutWith(name, write)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return s.b.sess.Put(name, buf.Bytes())
}

func (s behindSession) Stream(name string) (io.WriteCloser, error) {
	w, err := s.b.sess.Stream(name)
	if err != nil {
		return nil, err
	}
	return behindStream{b: s.b, w: w}, nil
}

func (s behindSession) Release() error {
	err := s.b.stop()
	if e := s.b.sess.Release(); err == nil {
		err = e
	}
	return err
}

// Flush passes what is queued to the session, and flushes it.
func (s behindSession) Flush() error {
	if err := s.b.drain(); err != nil {
		return err
	}
	if f, ok := s.b.sess.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

func (s behindSession) LocalDir() string { return ScratchDir(s.b.sess) }

type behindStream struct {
	b *behind
	w io.WriteCloser
}

func (w behindStream) Write(p []byte) (int, error) {
	if err := w.b.write(w.w, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w behindStream) Close() error {
	err := w.b.drain()
	if e := w.w.Close(); err == nil {
		err = e
	}
	return err
}
