package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// DefaultStateDir is the state directory of a runbook when --state is not
// given: .runbook/NAME beside the runbook, so that runbooks that share a
// folder do not share a state.
func DefaultStateDir(runbookDir, name string) string {
	return filepath.Join(runbookDir, ".runbook", name)
}

// Record is one line of the journal: a step's new status (Type "step"), or
// the start of an invocation (Type "run").
type Record struct {
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Address string    `json:"address,omitempty"`
	Status  string    `json:"status,omitempty"`
	// Started is when the step started, on its done, failed or in-doubt
	// record.
	Started *time.Time `json:"started,omitempty"`
	Error   string     `json:"error,omitempty"`
	// Continued is set on a failed record when on_failure = "continue" let
	// the run go past the step: the failure is settled, and later runs do
	// not run the step again (SettledStatus).
	Continued bool `json:"continued,omitempty"`
	// Changes is what the step changed, on its done, failed or in-doubt
	// record.
	Changes *Delta `json:"changes,omitempty"`
	// Outages is the run's downtime ledger at the step's end, on its done,
	// failed or in-doubt record.
	Outages *Outages `json:"outages,omitempty"`

	// Op is the operation an op, op-started or op-end record is about, as
	// steps.OpKey names it.
	Op string `json:"op,omitempty"`
	// Pgid is the process group of the command an op-started record
	// announces; Boot the boot of the machine it runs on (a process group
	// of another boot is gone), and Host that machine.
	Pgid int    `json:"pgid,omitempty"`
	Boot string `json:"boot,omitempty"`
	// Ran is the file the command of an op-started record creates once
	// past the driver's gate, just before it acts (cluster.StartGate).
	Ran string `json:"ran,omitempty"`
	// Gated is set on an op record when the driver starts no command for
	// the operation before its op-started record is written: with no
	// op-started record, the operation never ran.
	Gated bool `json:"gated,omitempty"`
	// Outcome is an op-end record's: OpOK, OpFailed, OpInDoubt or OpNotRun;
	// an end record's: the run's outcome (OutcomeCompleted, ...).
	Outcome string `json:"outcome,omitempty"`
	// Ops are the operations a reissue record issues again.
	Ops []string `json:"ops,omitempty"`

	// Run records.
	Runbook string `json:"runbook,omitempty"`
	Driver  string `json:"driver,omitempty"`
	Command string `json:"command,omitempty"`

	// Who: on a run record, who ran it; on an approval record, who
	// answered; on a reissue record, who asked (on an op-started record,
	// Host is where the command runs). Answer is what they answered:
	// "yes" or "no" at an approve step's prompt; on a run record, the
	// answer to the run's confirmation ("yes", or "--auto-approve"), given
	// at Answered.
	User     string     `json:"user,omitempty"`
	Host     string     `json:"host,omitempty"`
	Answer   string     `json:"answer,omitempty"`
	Answered *time.Time `json:"answered,omitempty"`
	// RunbookVersion and SHA256 identify the runbook's text the run
	// record's invocation ran.
	RunbookVersion string `json:"runbook_version,omitempty"`
	SHA256         string `json:"sha256,omitempty"`

	// Change is what a change record observed (Address: the step in
	// flight, if any).
	Change *Change `json:"change,omitempty"`

	// End records: how an invocation ended (Outcome: the run's outcome),
	// and each resource's downtime since the state's first run, as its
	// summary reported it.
	Message  string             `json:"message,omitempty"`
	Downtime map[string]Seconds `json:"downtime_seconds,omitempty"`
}

// Record types.
const (
	RecordStep = "step"
	RecordRun  = "run"
	// RecordOp announces a driver operation a step is about to issue.
	RecordOp = "op"
	// RecordApproval is an operator's answer at an approve step's prompt.
	RecordApproval = "approval"
	// RecordOpStarted records the process group of the command an
	// operation started, as soon as it started.
	RecordOpStarted = "op-started"
	// RecordOpEnd records an operation's outcome. An operation announced
	// with no outcome, or with the outcome OpInDoubt, is in doubt.
	RecordOpEnd = "op-end"
	// RecordReissue records that the operator asked (run --reissue) to
	// issue a step's operations in doubt again: who, when, which.
	RecordReissue = "reissue"
	// RecordChange is a change of the cluster the run observed, at the
	// time it saw it: what the report's timeline is drawn from.
	RecordChange = "change"
	// RecordEnd is how an invocation ended (absent when it was killed).
	RecordEnd = "end"
)

// Outcomes of an operation, on its op-end record.
const (
	OpOK      = "ok"
	OpFailed  = "failed"
	OpInDoubt = "in-doubt"
	// OpNotRun: a resumed run found that the command of an operation a
	// dead run started ended at the driver's gate, before it acted.
	OpNotRun = "not-run"
)

// State is a store open for a run: its lock held, its journal read.
type State struct {
	// Store is where the state is kept.
	Store Store

	// Confirmation is the answer to the run's confirmation, recorded on
	// the next run record.
	Confirmation *Approval
	// Redact, if set, hides sensitive values in what is written to the
	// journal and the snapshot: in a record's texts before they are
	// encoded (an error quotes a command that quotes a value), then in the
	// encoded line.
	Redact func(string) string

	// mu serializes Append: a step's operations may run concurrently.
	mu      sync.Mutex
	session Session
	records records
	// enc is Append's encoder, its buffers kept from one write to the
	// next.
	enc encoder
	// observedParts are where the observations are kept that the next
	// write queues for behind, observedN how many.
	observedParts []recordPart
	observedN     int
	// observed are observations queued by Observe for the next write.
	observed []Record
	// ran are the Ran files of the op-started records, by step address.
	ran map[string][]string
	// settled tells, by step address, whether the step's last record in
	// the journal settles it (Settled), as of the first settledN records:
	// it is brought up to date when asked (settledIndex), not as records
	// are journaled, which a run does hundreds of thousands of times
	// (its own runner knows what it settled: runner.finish).
	settled  map[string]bool
	settledN int
	holder   Holder
	// current is the step last journaled as started.
	current string
	// behind, if set, makes the session's writes on a goroutine of its
	// own: for a session that holds writes back (LockOptions.WriteBehind).
	behind *behind
}

// OpenState takes the store's lock (failing at once with a *LockedError
// when another run holds it) and reads the journal.
func OpenState(store Store, holder Holder, opts LockOptions) (*State, error) {
	sess, err := store.Lock(context.Background(), holder, opts)
	if err != nil {
		return nil, err
	}
	s := &State{Store: store, session: sess, holder: holder}
	if opts.WriteBehind && !opts.Durable {
		s.behind = newBehind(sess)
		s.records.newChunk = s.behind.nextChunk
	}
	entries, err := sess.Journal()
	if err == nil {
		s.records.flat, err = decodeRecords(entries, store.Where(""))
	}
	if err != nil {
		sess.Release()
		return nil, err
	}
	for i := range s.records.flat {
		s.index(&s.records.flat[i])
	}
	return s, nil
}

// Flush writes what the session holds back (LockOptions.WriteBehind), if
// anything: before the run waits for something outside it.
func (s *State) Flush() error {
	if s.behind != nil {
		return behindSession{s.behind}.Flush()
	}
	if f, ok := s.session.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// beginOp and endOp bracket an operation, from before its intent is
// journaled to after its outcome is, for a session that holds writes back
// (OpBracket).
func (s *State) beginOp() {
	if s.behind != nil {
		s.behind.bracket(true)
		return
	}
	if b, ok := s.session.(OpBracket); ok {
		b.BeginOp()
	}
}

func (s *State) endOp() {
	if s.behind != nil {
		s.behind.bracket(false)
		return
	}
	if b, ok := s.session.(OpBracket); ok {
		b.EndOp()
	}
}

// Session is the held lock, through which a run's other writes go (the
// simulator's cluster, the logs): for a session that holds writes back,
// in order with the journal's, on the goroutine that writes them (behind).
func (s *State) Session() Session {
	if s.behind != nil {
		return behindSession{s.behind}
	}
	return s.session
}

// Close releases the lock.
func (s *State) Close() error {
	err := s.Append() // the observations still queued
	if e := s.Session().Release(); e != nil {
		err = e
	}
	return err
}

// HandOver passes the writes made so far to the session, for a State
// that makes them on a goroutine of its own: a read of the store then
// sees them, as it sees those the session holds back. It returns the
// first write that failed.
func (s *State) HandOver() error {
	if s.behind == nil {
		return nil
	}
	return s.behind.drain()
}

// writeSoon has the writes queued so far made now rather than after the
// writer's delay, for a State that makes them on a goroutine of its own:
// they are then all made meanwhile, without waiting for them.
func (s *State) writeSoon() {
	if s.behind != nil {
		s.behind.kick()
	}
}

// Observe queues an observation (a change of the cluster the run saw) for
// the journal's next write, which writes it in the same write, before its
// own records: an observation need not be in the journal before anything
// else happens, and a store whose writes are transactions (etcd) then pays
// for a step's observations with the step's next record, not one each. A
// run killed with observations queued loses them: the report of that
// stretch falls back on the changes its steps' own records carry.
func (s *State) Observe(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind != nil {
		// Kept now, queued with the next write.
		s.observedParts = s.records.addParts([]Record{r}, s.observedParts)
		s.observedN++
		return
	}
	s.observed = append(s.observed, r)
}

// Records returns the journal's records, oldest first.
func (s *State) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records.all()
}

// RecordList returns the journal's records as Records does, without
// joining the pieces they are kept in: for a reader of them all, once (the
// report at a run's end), which thus costs no copy of the whole journal.
func (s *State) RecordList() RecordList {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := RecordList{flat: s.records.flat[:len(s.records.flat):len(s.records.flat)], chunks: slices.Clone(s.records.chunks)}
	l.to = l.len()
	return l
}

// index notes what RanFiles tells of a record journaled.
func (s *State) index(r *Record) {
	if r.Type == RecordOpStarted && r.Ran != "" {
		if s.ran == nil {
			s.ran = map[string][]string{}
		}
		s.ran[r.Address] = append(s.ran[r.Address], r.Ran)
	}
}

// Settled reports whether the last record of the step at address in the
// journal settles it (Settled): what StepStatuses of Records tells, with a
// pass over only the records journaled since the last call.
func (s *State) Settled(address string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settledIndex()
	return s.settled[address]
}

// settledIndex brings settled up to date with the records kept. The
// caller holds s.mu.
func (s *State) settledIndex() {
	if s.settled == nil {
		s.settled = map[string]bool{}
	}
	note := func(addr string, settled bool) {
		// Absent is unsettled: a step's start (most records) adds nothing.
		if s.settled[addr] != settled {
			s.settled[addr] = settled
		}
	}
	rs := &s.records
	for i := s.settledN; i < len(rs.flat); i++ {
		if r := &rs.flat[i]; r.Type == RecordStep {
			note(r.Address, Settled(*r))
		}
	}
	k := len(rs.flat) // the position of the chunk's first record
	for _, c := range rs.chunks {
		from := max(s.settledN-k, 0)
		for i := from; i < len(c); i++ {
			switch r := &c[i]; {
			case r.full != nil:
				if r.full.Type == RecordStep {
					note(r.full.Address, Settled(*r.full))
				}
			case compactTypes[r.typ] == RecordStep:
				note(r.Address, Settled(Record{Status: compactStatuses[r.status], Continued: r.Continued}))
			}
		}
		k += len(c)
	}
	s.settledN = max(s.settledN, k)
}

// RanFiles returns the Ran files the op-started records of the step at
// address name, oldest first: found without a scan of the journal, which a
// step's end would otherwise make quadratic in the run's length.
func (s *State) RanFiles(address string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ran[address]
}

func decodeRecords(entries [][]byte, where string) ([]Record, error) {
	// Room for what a resumed run adds, so that joining them with those
	// read copies nothing (records.add).
	recs := make([]Record, 0, len(entries)+len(entries)/64+64)
	for i, e := range entries {
		var rec Record
		if !decodeRecord(e, &rec) {
			// Not as appendRecord writes it: encoding/json reads it, or
			// says what is wrong with it.
			rec = Record{}
			if err := json.Unmarshal(e, &rec); err != nil {
				return nil, fmt.Errorf("%s: journal entry %d: %v", where, i+1, err)
			}
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// ReadJournal reads the journal of a store without locking it (for
// status). A missing journal is empty.
func ReadJournal(store Store) ([]Record, error) {
	entries, err := store.Journal()
	if err != nil {
		return nil, err
	}
	return decodeRecords(entries, store.Where(""))
}

// Append writes records to the journal, in one write, after the
// observations queued by Observe.
func (s *State) Append(recs ...Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind != nil {
		return s.writeBehind(recs)
	}
	if len(s.observed) == 0 {
		return s.write(recs)
	}
	s.observed = append(s.observed, recs...)
	err := s.write(s.observed)
	// The queue's array serves the next observations.
	clear(s.observed)
	s.observed = s.observed[:0]
	return err
}

// write writes recs in one write; it keeps none of them. The caller holds
// s.mu.
func (s *State) write(recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	s.enc.reset()
	for i := range recs {
		s.audit(&recs[i])
		if err := s.enc.add(&recs[i], s.Redact); err != nil {
			return err
		}
	}
	lines := s.enc.lines()
	if err := s.session.Append(lines...); err != nil {
		return err
	}
	clear(lines)
	s.records.add(recs)
	for i := range recs {
		s.index(&recs[i])
	}
	return nil
}

// writeBehind is Append for a State whose writes behind makes: recs are
// kept, and queued for it with the observations kept since the last write,
// as one write. The caller holds s.mu.
func (s *State) writeBehind(recs []Record) error {
	if len(recs) == 0 && s.observedN == 0 {
		return nil
	}
	if err := s.behind.failed(); err != nil {
		return err
	}
	for i := range recs {
		s.audit(&recs[i])
	}
	parts := s.records.addParts(recs, s.observedParts)
	err := s.behind.append(parts, s.observedN+len(recs), s.Redact)
	clear(parts)
	s.observedParts, s.observedN = parts[:0], 0
	for i := range recs {
		s.index(&recs[i])
	}
	return err
}

// journalOp journals an operation's intent (an op record), after the
// opening of its bracket (beginOp): the run's most frequent record with
// its outcome's (journalOpEnd), written as Append writes it, and for a
// State whose writes behind makes, kept as such a record is kept, without
// a Record made. On failure the bracket is closed again.
func (s *State) journalOp(t time.Time, addr, op string, gated bool) error {
	if s.behind == nil {
		s.beginOp()
		err := s.Append(Record{Type: RecordOp, Time: t, Address: addr, Op: op, Gated: gated})
		if err != nil {
			s.endOp()
		}
		return err
	}
	return s.appendKept(&compact{typ: codeOp, Time: t, Address: addr, Op: op, Gated: gated}, true, false)
}

// journalOpEnd journals an operation's successful end (an op-end record
// with the outcome OpOK), then the closing of its bracket (endOp), as
// journalOp its intent.
func (s *State) journalOpEnd(t time.Time, addr, op string) error {
	if s.behind == nil {
		err := s.Append(Record{Type: RecordOpEnd, Time: t, Address: addr, Op: op, Outcome: OpOK})
		s.endOp()
		return err
	}
	return s.appendKept(&compact{typ: codeOpEnd, Time: t, Address: addr, Op: op, outcome: codeOK}, false, true)
}

// observeChange is Observe of a change record, as journalOp of an op
// record.
func (s *State) observeChange(t time.Time, addr string, c *Change) {
	if s.behind == nil {
		s.Observe(Record{Type: RecordChange, Time: t, Address: addr, Change: c})
		return
	}
	s.mu.Lock()
	s.observedParts = s.records.addCompact(&compact{typ: codeChange, Time: t, Address: addr, Change: c}, s.observedParts)
	s.observedN++
	s.mu.Unlock()
}

// appendOne is Append of the one record r, without the copies of it a
// call with records by value makes: for a State whose writes behind makes,
// kept as writeBehind keeps it.
func (s *State) appendOne(r *Record) error {
	if s.behind == nil {
		return s.Append(*r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind.bad.Load() {
		return s.behind.failed()
	}
	s.audit(r)
	c := compactOf(r)
	parts := s.records.addCompact(&c, s.observedParts)
	err := s.behind.appendBracketed(parts, s.observedN+1, s.Redact, false, false)
	clear(parts)
	s.observedParts, s.observedN = parts[:0], 0
	s.index(r)
	return err
}

// appendKept is writeBehind of the one record c keeps, with the
// operation's bracket opened before it (begin) or closed after it (end)
// in the same queuing. c's record is not one audit or index looks at.
func (s *State) appendKept(c *compact, begin, end bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind.bad.Load() {
		return s.behind.failed()
	}
	parts := s.records.addCompact(c, s.observedParts)
	err := s.behind.appendBracketed(parts, s.observedN+1, s.Redact, begin, end)
	clear(parts)
	s.observedParts, s.observedN = parts[:0], 0
	return err
}

// records holds the journal's records in memory: those read when the state
// was opened and those appended since, in chunks, so that a long run does
// not copy its whole journal each time a single slice would grow. The
// chunks keep each record in less than half a Record's size (compact).
// Records joins them when asked.
type records struct {
	flat   []Record
	chunks [][]compact
	// newChunk, if set, returns an empty chunk of recordChunk.
	newChunk func() []compact
}

const recordChunk = 4096

// compact is a record as the chunks keep it: the fields most records have,
// with its type, status and outcome as their index in compactTypes,
// compactStatuses and compactOutcomes; a record with any other field, or
// another of those (a run, end, approval, reissue or op-started record, an
// error: a few per run), is kept whole in full.
type compact struct {
	Address, Op          string
	Time                 time.Time
	Started              *time.Time
	Changes              *Delta
	Outages              *Outages
	Change               *Change
	full                 *Record
	typ, status, outcome uint8
	Continued, Gated     bool
}

// The codes of a compact record's type and outcome that a run journals
// itself, without a Record (State.journalOp, journalOpEnd, observeChange).
const (
	codeStep uint8 = 1 + iota
	codeOp
	codeOpEnd
	codeChange
	codeOK = 1
)

var (
	compactTypes    = [...]string{0: "", codeStep: RecordStep, codeOp: RecordOp, codeOpEnd: RecordOpEnd, codeChange: RecordChange}
	compactStatuses = [...]string{"", StatusStarted, StatusDone, StatusFailed, StatusSkipped, StatusInDoubt}
	compactOutcomes = [...]string{0: "", codeOK: OpOK, OpFailed, OpInDoubt, OpNotRun}
)

// codeOf is the index of s in codes.
func codeOf(codes []string, s string) (uint8, bool) {
	for i, c := range codes {
		if c == s {
			return uint8(i), true
		}
	}
	return 0, false
}

func compactOf(r *Record) compact {
	typ, ok1 := codeOf(compactTypes[:], r.Type)
	status, ok2 := codeOf(compactStatuses[:], r.Status)
	outcome, ok3 := codeOf(compactOutcomes[:], r.Outcome)
	if !ok1 || !ok2 || !ok3 || r.Error != "" || r.Pgid != 0 || r.Boot != "" || r.Ran != "" || r.Ops != nil || r.Runbook != "" || r.Driver != "" ||
		r.Command != "" || r.User != "" || r.Host != "" || r.Answer != "" || r.Answered != nil ||
		r.RunbookVersion != "" || r.SHA256 != "" || r.Message != "" || r.Downtime != nil {
		full := *r
		return compact{full: &full}
	}
	return compact{typ: typ, Address: r.Address, status: status, Op: r.Op, outcome: outcome,
		Time: r.Time, Started: r.Started, Changes: r.Changes, Outages: r.Outages, Change: r.Change,
		Continued: r.Continued, Gated: r.Gated}
}

func (c *compact) record() Record {
	if c.full != nil {
		return *c.full
	}
	return Record{Type: compactTypes[c.typ], Address: c.Address, Status: compactStatuses[c.status], Op: c.Op,
		Outcome: compactOutcomes[c.outcome], Time: c.Time, Started: c.Started, Changes: c.Changes, Outages: c.Outages,
		Change: c.Change, Continued: c.Continued, Gated: c.Gated}
}

// to sets *r to the record, as record returns it.
func (c *compact) to(r *Record) { *r = c.record() }

func (rs *records) add(recs []Record) { rs.addParts(recs, nil) }

// recordPart is records kept, in flat or in a chunk: they are not changed
// once added, so that they may be read while more are added (behind). Its
// slice's capacity may reach past it, over records added later.
type recordPart struct {
	flat  []Record
	chunk []compact
}

// addParts adds recs and appends to parts where they are kept: one part
// for records kept next to those of parts' last.
func (rs *records) addParts(recs []Record, parts []recordPart) []recordPart {
	if len(recs) == 0 {
		return parts
	}
	if len(rs.chunks) == 0 && cap(rs.flat)-len(rs.flat) >= len(recs) {
		// Into the room all left: those who hold flat see no change.
		n := len(rs.flat)
		rs.flat = append(rs.flat, recs...)
		if k := len(parts) - 1; k >= 0 && parts[k].flat != nil && nextTo(parts[k].flat, rs.flat[n:]) {
			parts[k].flat = parts[k].flat[:len(parts[k].flat)+len(recs)]
			return parts
		}
		return append(parts, recordPart{flat: rs.flat[n:len(rs.flat)]})
	}
	for i := 0; i < len(recs); {
		n := len(rs.chunks)
		if n == 0 || len(rs.chunks[n-1]) == cap(rs.chunks[n-1]) {
			if rs.newChunk != nil {
				rs.chunks = append(rs.chunks, rs.newChunk())
			} else {
				rs.chunks = append(rs.chunks, make([]compact, 0, recordChunk))
			}
			n++
		}
		c := rs.chunks[n-1]
		start := len(c)
		for ; i < len(recs) && len(c) < cap(c); i++ {
			c = append(c, compactOf(&recs[i]))
		}
		rs.chunks[n-1] = c
		if k := len(parts) - 1; k >= 0 && parts[k].chunk != nil && nextTo(parts[k].chunk, c[start:]) {
			parts[k].chunk = parts[k].chunk[:len(parts[k].chunk)+len(c)-start]
			continue
		}
		parts = append(parts, recordPart{chunk: c[start:len(c)]})
	}
	return parts
}

// addCompact adds the record c keeps, as addParts adds one.
func (rs *records) addCompact(c *compact, parts []recordPart) []recordPart {
	n := len(rs.chunks)
	if n == 0 {
		// The first records of the State's life go to flat.
		return rs.addParts([]Record{c.record()}, parts)
	}
	if len(rs.chunks[n-1]) == cap(rs.chunks[n-1]) {
		if rs.newChunk != nil {
			rs.chunks = append(rs.chunks, rs.newChunk())
		} else {
			rs.chunks = append(rs.chunks, make([]compact, 0, recordChunk))
		}
		n++
	}
	ch := append(rs.chunks[n-1], *c)
	rs.chunks[n-1] = ch
	k := len(ch) - 1
	if last := len(parts) - 1; last >= 0 && parts[last].chunk != nil && nextTo(parts[last].chunk, ch[k:]) {
		parts[last].chunk = parts[last].chunk[:len(parts[last].chunk)+1]
		return parts
	}
	return append(parts, recordPart{chunk: ch[k : k+1]})
}

// nextTo reports whether b starts where a ends, in the same array.
func nextTo[T any](a, b []T) bool {
	return len(b) > 0 && cap(a) > len(a) && &a[:len(a)+1][len(a)] == &b[0]
}

// all returns every record, oldest first; the caller must not change it.
func (rs *records) all() []Record {
	if len(rs.chunks) == 0 {
		return rs.flat[:len(rs.flat):len(rs.flat)]
	}
	n := len(rs.flat)
	for _, c := range rs.chunks {
		n += len(c)
	}
	// Room for a few more (the end of a run adds a record or two after
	// its last look at the journal), without a copy of the whole.
	out := make([]Record, n, n+n/64+16)
	k := copy(out, rs.flat)
	for _, c := range rs.chunks {
		for i := range c {
			out[k] = c[i].record()
			k++
		}
	}
	rs.flat, rs.chunks = out, nil
	return out[:n:n]
}

// RecordList is records, oldest first, in the pieces a State keeps them in
// (State.RecordList), or one slice (ListOf); a window of them (Slice).
type RecordList struct {
	flat   []Record
	chunks [][]compact
	// from and to bound the window, counted from flat's first record.
	from, to int
}

// ListOf is recs as a RecordList.
func ListOf(recs []Record) RecordList { return RecordList{flat: recs, to: len(recs)} }

func (l RecordList) len() int {
	n := len(l.flat)
	for _, c := range l.chunks {
		n += len(c)
	}
	return n
}

// Len is the number of records.
func (l RecordList) Len() int { return l.to - l.from }

// Slice is the window of records i to j-1.
func (l RecordList) Slice(i, j int) RecordList {
	if i < 0 || i > j || j > l.Len() {
		panic(fmt.Sprintf("RecordList.Slice(%d, %d) of %d", i, j, l.Len()))
	}
	l.from, l.to = l.from+i, l.from+j
	return l
}

// at is the record at k, counted from flat's first; buf holds it when the
// chunks keep it compact. Every chunk but the last is full. buf is given
// only what a compact record holds, so that its other fields stay zero
// from one record to the next: it need not be cleared whole.
func (l *RecordList) at(k int, buf *Record) *Record {
	if k < len(l.flat) {
		return &l.flat[k]
	}
	k -= len(l.flat)
	c := &l.chunks[k/recordChunk][k%recordChunk]
	if c.full != nil {
		return c.full
	}
	buf.Type, buf.Address, buf.Status, buf.Op, buf.Outcome = compactTypes[c.typ], c.Address, compactStatuses[c.status], c.Op, compactOutcomes[c.outcome]
	buf.Time, buf.Started, buf.Changes, buf.Outages, buf.Change = c.Time, c.Started, c.Changes, c.Outages, c.Change
	buf.Continued, buf.Gated = c.Continued, c.Gated
	return buf
}

// All yields each record, oldest first. The record yielded is valid until
// the next; the caller must not change it.
func (l RecordList) All() iter.Seq2[int, *Record] {
	return func(yield func(int, *Record) bool) {
		var buf Record
		for k := l.from; k < l.to; k++ {
			if !yield(k-l.from, l.at(k, &buf)) {
				return
			}
		}
	}
}

// Backward yields each record, newest first, as All does.
func (l RecordList) Backward() iter.Seq2[int, *Record] {
	return func(yield func(int, *Record) bool) {
		var buf Record
		for k := l.to - 1; k >= l.from; k-- {
			if !yield(k-l.from, l.at(k, &buf)) {
				return
			}
		}
	}
}

// snapshot is the status of the cluster before the first step.
type snapshot struct {
	Time   time.Time       `json:"time"`
	Status *cluster.Status `json:"status"`
}

// WriteSnapshot replaces the snapshot atomically.
func (s *State) WriteSnapshot(t time.Time, st *cluster.Status) error {
	b, err := appendSnapshot(nil, t, st)
	if err != nil {
		return err
	}
	if s.Redact != nil {
		b = []byte(s.Redact(string(b)))
	}
	return s.session.Put(SnapshotBlob, b)
}

// ReadSnapshot reads the snapshot of a store.
func ReadSnapshot(store Store) (*cluster.Status, error) {
	b, err := store.Get(SnapshotBlob)
	if err != nil {
		return nil, err
	}
	var sn snapshot
	if err := json.Unmarshal(b, &sn); err != nil {
		return nil, fmt.Errorf("%s: %w", store.Where(SnapshotBlob), err)
	}
	if sn.Status == nil {
		return nil, fmt.Errorf("%s: no status", store.Where(SnapshotBlob))
	}
	sn.Status.Reindex()
	return sn.Status, nil
}

// StepStatuses returns each step's last status in the journal.
func StepStatuses(recs []Record) map[string]Record {
	out := map[string]Record{}
	for _, r := range recs {
		if r.Type == RecordStep {
			r.Changes = nil
			out[r.Address] = r
		}
	}
	return out
}

// Settled reports whether a step's last record ends it for good: done,
// skipped, or failed with on_failure = "continue" (the run went on past it).
// A later run does not run a settled step again; a step that failed and
// stopped the run, or that was in flight, is run again (after a look at the
// cluster) by the next run.
func Settled(r Record) bool {
	switch r.Status {
	case StatusDone, StatusSkipped:
		return true
	case StatusFailed:
		return r.Continued
	}
	return false
}

// Expected replays the journal over the snapshot: the status the journal
// expects the cluster to be in now.
func Expected(snap *cluster.Status, recs []Record) *cluster.Status {
	st := snap.Clone()
	for _, r := range recs {
		r.Changes.Apply(st)
	}
	return st
}

// FirstDriver is the driver the state directory was first run with, or "".
func FirstDriver(recs []Record) string {
	for _, r := range recs {
		if r.Type == RecordRun {
			return r.Driver
		}
	}
	return ""
}

// HasSteps reports whether any step was journaled: false for a fresh run.
func HasSteps(recs []Record) bool {
	for _, r := range recs {
		if r.Type == RecordStep {
			return true
		}
	}
	return false
}

// Issued returns the operations that the step at addr issued since it last
// ended (done, failed or skipped): those of its attempts that were
// interrupted or in doubt, whose effects may still be under way. A failed
// attempt does not count: the retry after a failure starts afresh. Nor do
// the operations the operator asked to issue again (run --reissue).
func Issued(recs []Record, addr string) map[string]bool {
	var issued map[string]bool
	gated := map[string]bool{} // announced, held at the driver's gate: not run unless started
	for _, r := range recs {
		if r.Address != addr {
			continue
		}
		switch {
		case r.Type == RecordOp && r.Gated:
			if !issued[r.Op] {
				gated[r.Op] = true
			}
		case r.Type == RecordOp, r.Type == RecordOpStarted && gated[r.Op]:
			if issued == nil {
				issued = map[string]bool{}
			}
			issued[r.Op] = true
			delete(gated, r.Op)
		case r.Type == RecordReissue:
			for _, op := range r.Ops {
				delete(issued, op)
				delete(gated, op)
			}
		case r.Type == RecordOpEnd && r.Outcome == OpNotRun:
			delete(issued, r.Op)
		case r.Type == RecordStep && r.Status != StatusInDoubt && r.Status != StatusStarted:
			issued = nil // done, failed, skipped: what came before is over
			clear(gated)
		}
	}
	if len(issued) == 0 {
		return nil
	}
	return issued
}

// DoubtfulOp is an operation of a step whose outcome is unknown: the
// journal announces it, and records no outcome for it, or records that its
// outcome is in doubt.
type DoubtfulOp struct {
	Op string
	// Time is when it was announced.
	Time time.Time
	// Pgid, Boot and Host are the process group of its command and where
	// it runs, when the driver reported one; 0 otherwise.
	Pgid int
	Boot string
	Host string
	Ran  string
	// Ended is set when the run that issued it recorded it in doubt: its
	// command ended (or was killed) without a clear outcome.
	Ended bool
	// Gated is set when the driver held its command at a gate until its
	// start was recorded.
	Gated bool
}

// InDoubt returns the operations of the step at addr whose outcome is in
// doubt, in the order they were announced: announced since the step last
// ended (done, failed or skipped), with no outcome recorded (the run died
// while they ran) or an outcome in doubt, and not issued again since on the
// operator's word (a reissue record).
func InDoubt(recs []Record, addr string) []DoubtfulOp {
	var out []DoubtfulOp
	find := func(op string) int {
		for i := range out {
			if out[i].Op == op {
				return i
			}
		}
		return -1
	}
	for _, r := range recs {
		if r.Address != addr {
			continue
		}
		switch r.Type {
		case RecordOp:
			if i := find(r.Op); i >= 0 {
				out = append(out[:i], out[i+1:]...)
			}
			out = append(out, DoubtfulOp{Op: r.Op, Time: r.Time, Gated: r.Gated})
		case RecordOpStarted:
			if i := find(r.Op); i >= 0 {
				out[i].Pgid, out[i].Boot, out[i].Host, out[i].Ran = r.Pgid, r.Boot, r.Host, r.Ran
			}
		case RecordOpEnd:
			if i := find(r.Op); i >= 0 {
				if r.Outcome == OpInDoubt {
					out[i].Ended = true
				} else {
					out = append(out[:i], out[i+1:]...)
				}
			}
		case RecordReissue:
			for _, op := range r.Ops {
				if i := find(op); i >= 0 {
					out = append(out[:i], out[i+1:]...)
				}
			}
		case RecordStep:
			if r.Status != StatusInDoubt && r.Status != StatusStarted {
				out = nil
			}
		}
	}
	// An operation held at the driver's gate whose start was never
	// recorded never ran: no doubt about it.
	out = slices.DeleteFunc(out, func(d DoubtfulOp) bool { return d.Gated && d.Pgid == 0 })
	if len(out) == 0 {
		return nil
	}
	return out
}
