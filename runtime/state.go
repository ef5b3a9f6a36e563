package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/runbookhq/runbook/steps"
)

// Files of a state directory.
const (
	JournalFile  = "journal.jsonl"
	SnapshotFile = "snapshot.json"
	LockFile     = "runbook.lock"
	HolderFile   = "holder.json"
	// SimFile is where the simulator keeps its cluster; the command line
	// opens it, the runtime only names it.
	SimFile = "sim.json"
	// ExecLogFile is where the exec driver logs every command it runs, with
	// its output and exit status.
	ExecLogFile = "exec.log"
)

// A state directory holds who ran what and the output of the cluster's
// commands: only its owner may read it.
const (
	// DirMode is the mode of a state directory (and of the .runbook
	// directory created above it).
	DirMode os.FileMode = 0o700
	// FileMode is the mode of every file in it.
	FileMode os.FileMode = 0o600
)

// PrepareDir creates the state directory dir (mode DirMode), or restricts
// an existing one and the files in it to their owner: a directory left by
// an earlier version, or made by hand, may be readable by others.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	restrict := func(path string, want os.FileMode) error {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return nil // gone, or a link: its target is not ours to change
		}
		if fi.Mode().Perm()&^want == 0 {
			return nil
		}
		if err := os.Chmod(path, fi.Mode().Perm()&want); err != nil {
			return fmt.Errorf("restricting %s to its owner: %w", path, err)
		}
		return nil
	}
	if err := restrict(dir, DirMode); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		want := FileMode
		if e.IsDir() {
			want = DirMode
		}
		if err := restrict(filepath.Join(dir, e.Name()), want); err != nil {
			return err
		}
	}
	return nil
}

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
	// past the driver's gate, just before it acts (steps.StartGate).
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

// State is an open state directory: the journal, the snapshot of the
// cluster taken before the first step, and the lock.
type State struct {
	Dir string
	// Sync makes every journal write reach the disk (fsync) before the run
	// goes on. It protects against a power loss, which matters for a real
	// cluster; a SIGKILL loses nothing that was written either way.
	Sync bool

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
	journal *os.File
	records []Record
	// ran are the Ran files of the op-started records, by step address.
	ran    map[string][]string
	lock   *Lock
	holder Holder
	// current is the step last journaled as started.
	current string
}

// OpenState creates the directory if needed (PrepareDir), takes its lock (failing at
// once with a *LockedError when another run holds it) and reads the
// journal.
func OpenState(dir string, holder Holder) (*State, error) {
	if err := PrepareDir(dir); err != nil {
		return nil, err
	}
	lk, err := AcquireLock(dir, holder)
	if err != nil {
		return nil, err
	}
	s := &State{Dir: dir, lock: lk, holder: holder}
	if err := s.openJournal(); err != nil {
		lk.Release()
		return nil, err
	}
	return s, nil
}

// Close closes the journal and releases the lock.
func (s *State) Close() error {
	var err error
	if s.journal != nil {
		err = s.journal.Close()
	}
	if s.lock != nil {
		if e := s.lock.Release(); err == nil {
			err = e
		}
	}
	return err
}

// Records returns the journal's records, oldest first.
func (s *State) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

func (s *State) openJournal() error {
	path := filepath.Join(s.Dir, JournalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return err
	}
	recs, good, err := readRecords(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	// A torn last line (a crash in the middle of a write) is dropped, so
	// that the next record starts on a line of its own.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	s.journal, s.records = f, recs
	for _, r := range recs {
		s.indexRan(r)
	}
	return nil
}

func (s *State) indexRan(r Record) {
	if r.Type != RecordOpStarted || r.Ran == "" {
		return
	}
	if s.ran == nil {
		s.ran = map[string][]string{}
	}
	s.ran[r.Address] = append(s.ran[r.Address], r.Ran)
}

// RanFiles returns the Ran files the op-started records of the step at
// address name, oldest first: found without a scan of the journal, which a
// step's end would otherwise make quadratic in the run's length.
func (s *State) RanFiles(address string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ran[address]
}

// readRecords reads every complete line; it returns the offset just past
// the last good one. A torn last line is ignored; a bad line before the last
// is an error.
func readRecords(r io.Reader) ([]Record, int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var recs []Record
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// No newline: a torn write, or nothing.
			return recs, off, nil
		}
		if err != nil {
			return nil, 0, err
		}
		var rec Record
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &rec); jerr != nil {
			if _, perr := br.Peek(1); perr != nil {
				// The last line, complete but garbled: torn too.
				return recs, off, nil
			}
			return nil, 0, fmt.Errorf("journal line %d: %v", line, jerr)
		}
		recs = append(recs, rec)
		off += int64(len(b))
	}
}

// ReadJournal reads the journal of a state directory without locking it
// (for status). A missing journal is empty.
func ReadJournal(dir string) ([]Record, error) {
	f, err := os.Open(filepath.Join(dir, JournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, _, err := readRecords(f)
	return recs, err
}

// Append writes one record as one line, with one write call.
func (s *State) Append(r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit(&r)
	w := r
	if s.Redact != nil {
		w.Error, w.Command = s.Redact(w.Error), s.Redact(w.Command)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if s.Redact != nil {
		b = []byte(s.Redact(string(b)))
	}
	b = append(b, '\n')
	if _, err := s.journal.Write(b); err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	if s.Sync {
		if err := s.journal.Sync(); err != nil {
			return fmt.Errorf("writing the journal: %w", err)
		}
	}
	s.records = append(s.records, r)
	s.indexRan(r)
	return nil
}

// snapshot is the status of the cluster before the first step.
type snapshot struct {
	Time   time.Time     `json:"time"`
	Status *steps.Status `json:"status"`
}

// WriteSnapshot replaces the snapshot atomically.
func (s *State) WriteSnapshot(t time.Time, st *steps.Status) error {
	b, err := json.Marshal(snapshot{Time: t, Status: st})
	if err != nil {
		return err
	}
	if s.Redact != nil {
		b = []byte(s.Redact(string(b)))
	}
	return writeFileAtomic(filepath.Join(s.Dir, SnapshotFile), b, s.Sync)
}

// ReadSnapshot reads the snapshot of a state directory.
func ReadSnapshot(dir string) (*steps.Status, error) {
	b, err := os.ReadFile(filepath.Join(dir, SnapshotFile))
	if err != nil {
		return nil, err
	}
	var sn snapshot
	if err := json.Unmarshal(b, &sn); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SnapshotFile), err)
	}
	if sn.Status == nil {
		return nil, fmt.Errorf("%s: no status", filepath.Join(dir, SnapshotFile))
	}
	sn.Status.Reindex()
	return sn.Status, nil
}

func writeFileAtomic(path string, data []byte, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
func Expected(snap *steps.Status, recs []Record) *steps.Status {
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
