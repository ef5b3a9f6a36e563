// Package local is the state store kept in a directory on this machine:
// the journal as one JSON line per record, the lock as an flock the kernel
// releases when its process dies, with a holder record beside it, and each
// blob and stream as a file of its own name. The directory and its files
// are their owner's alone: they hold who ran what and the output of the
// cluster's commands.
//
// It is the store of a --state that names a path, or a file:// URL.
package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"

	"github.com/runbookhq/runbook/internal/atomicfile"
	"github.com/runbookhq/runbook/runtime"
)

// Scheme is the URL scheme of a state directory (file:///var/lib/x).
const Scheme = "file"

// Files of a state directory besides the blobs and streams, which are
// files of their own names.
const (
	JournalFile = "journal.jsonl"
	LockFile    = "runbook.lock"
	HolderFile  = "holder.json"
)

const (
	// DirMode is the mode of a state directory (and of the .runbook
	// directory created above it).
	DirMode os.FileMode = 0o700
	// FileMode is the mode of every file in it.
	FileMode os.FileMode = 0o600
)

// Dir is a state directory.
type Dir struct {
	dir string
	// held is the session that holds its lock in this process, if any:
	// what it holds back is written before the directory is read.
	held atomic.Pointer[session]
}

var _ runtime.Store = (*Dir)(nil)

// New returns the state directory at dir; nothing is created until a run
// locks it.
func New(dir string) *Dir { return &Dir{dir: dir} }

// Open opens the state directory that ref names: a path, or a file:// URL.
func Open(ref string) (runtime.Store, error) {
	if rest, ok := strings.CutPrefix(ref, Scheme+"://"); ok {
		if rest == "" || !strings.HasPrefix(rest, "/") {
			return nil, fmt.Errorf("--state %s: a %s:// URL names an absolute path (%s:///var/lib/runbook/NAME)", ref, Scheme, Scheme)
		}
		ref = rest
	}
	if ref == "" {
		return nil, errors.New("--state: the state directory is empty")
	}
	return New(ref), nil
}

// Where is the directory, or the path of the file that keeps name.
func (d *Dir) Where(name string) string {
	if name == "" {
		return d.dir
	}
	return filepath.Join(d.dir, name)
}

// file is the path of a blob or stream, which must be a plain name.
func (d *Dir) file(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." ||
		name == JournalFile || name == LockFile || name == HolderFile {
		return "", fmt.Errorf("state directory %s: %q cannot name a blob", d.dir, name)
	}
	return filepath.Join(d.dir, name), nil
}

// Prepare creates the directory (mode DirMode), or restricts an existing
// one and the files in it to their owner: a directory left by an earlier
// version, or made by hand, may be readable by others.
func (d *Dir) Prepare() error {
	if err := os.MkdirAll(d.dir, DirMode); err != nil {
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
	if err := restrict(d.dir, DirMode); err != nil {
		return err
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		want := FileMode
		if e.IsDir() {
			want = DirMode
		}
		if err := restrict(filepath.Join(d.dir, e.Name()), want); err != nil {
			return err
		}
	}
	return nil
}

// Journal reads the journal without locking it. A missing journal is
// empty.
func (d *Dir) Journal() ([][]byte, error) {
	d.flushHeld()
	f, err := os.Open(filepath.Join(d.dir, JournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, _, err := readEntries(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return entries, nil
}

// readEntries reads every complete line; it returns the offset just past
// the last good one. A torn last line (no newline, or complete but not
// JSON) is ignored; a bad line before the last is an error.
func readEntries(r io.Reader) ([][]byte, int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var entries [][]byte
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return entries, off, nil // no newline: a torn write, or nothing
		}
		if err != nil {
			return nil, 0, err
		}
		e := bytes.TrimSpace(b)
		if !json.Valid(e) {
			if _, perr := br.Peek(1); perr != nil {
				return entries, off, nil // the last line, garbled: torn too
			}
			var v any
			return nil, 0, fmt.Errorf("journal line %d: %v", line, json.Unmarshal(e, &v))
		}
		entries = append(entries, e)
		off += int64(len(b))
	}
}

// Get reads a blob.
func (d *Dir) Get(name string) ([]byte, error) {
	d.flushHeld()
	path, err := d.file(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// Put replaces a blob (mode FileMode).
func (d *Dir) Put(name string, data []byte) error {
	return d.put(name, data, false)
}

func (d *Dir) put(name string, data []byte, sync bool) error {
	path, err := d.file(name)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, FileMode, sync)
}

// Holder reads the holder record; nil if there is none.
func (d *Dir) Holder() (*runtime.Holder, error) {
	b, err := os.ReadFile(filepath.Join(d.dir, HolderFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h runtime.Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Lock creates the directory if needed (Prepare) and takes its lock at
// once, or fails with a *runtime.LockedError.
func (d *Dir) Lock(_ context.Context, h runtime.Holder, opts runtime.LockOptions) (runtime.Session, error) {
	if err := d.Prepare(); err != nil {
		return nil, err
	}
	fl := flock.New(filepath.Join(d.dir, LockFile), flock.SetPermissions(FileMode))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", d.dir, err)
	}
	if !ok {
		prev, _ := d.Holder()
		return nil, &runtime.LockedError{Dir: d.dir, Holder: prev}
	}
	b, _ := json.Marshal(h)
	if err := atomicfile.WriteFile(filepath.Join(d.dir, HolderFile), b, FileMode, false); err != nil {
		fl.Unlock()
		return nil, err
	}
	sess := &session{d: d, fl: fl, sync: opts.Durable, behind: opts.WriteBehind && !opts.Durable}
	d.held.Store(sess)
	return sess, nil
}

// flushHeld writes what the session of this process holds back, so that a
// read of the directory sees every write made so far. A failure is the
// session's to report, at its next write.
func (d *Dir) flushHeld() {
	if s := d.held.Load(); s != nil {
		s.Flush()
	}
}

// session is a held lock on a state directory.
type session struct {
	d    *Dir
	fl   *flock.Flock
	sync bool

	mu      sync.Mutex
	journal *os.File
	// line is Append's buffer, reused from write to write.
	line []byte

	// behind holds writes back (runtime.LockOptions.WriteBehind): the
	// journal's and the streams' writes wait in held, in the order they
	// were made, until written together by flush: when held is large, a
	// moment after the first of them, before a blob is replaced or the
	// directory read, and at the end.
	behind bool
	held   []byte
	writes []heldWrite
	timer  *time.Timer
	// failed is the failure of a write held back, returned by the next.
	failed error
}

// heldWrite is a write held back: held[previous end:end] for f.
type heldWrite struct {
	f   *os.File
	end int
}

// Write-behind bounds: how much is held at most, and how long (a variable
// for the tests).
const heldMax = 1 << 20

var heldDelay = 50 * time.Millisecond

// hold queues b for f, or writes it at once when the session does not
// hold writes back. The caller holds s.mu.
func (s *session) hold(f *os.File, b []byte) error {
	if !s.behind {
		_, err := f.Write(b)
		return err
	}
	if s.failed != nil {
		return s.failed
	}
	s.held = append(s.held, b...)
	if n := len(s.writes); n > 0 && s.writes[n-1].f == f {
		s.writes[n-1].end = len(s.held)
	} else {
		s.writes = append(s.writes, heldWrite{f: f, end: len(s.held)})
	}
	if len(s.held) >= heldMax {
		return s.flushLocked()
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(heldDelay, func() { s.Flush() })
	} else if len(s.writes) == 1 && len(s.held) == len(b) {
		s.timer.Reset(heldDelay)
	}
	return nil
}

// Flush writes what the session holds back, in order.
func (s *session) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *session) flushLocked() error {
	start := 0
	for _, w := range s.writes {
		if s.failed == nil {
			if _, err := w.f.Write(s.held[start:w.end]); err != nil {
				s.failed = fmt.Errorf("writing %s: %w", w.f.Name(), err)
			}
		}
		start = w.end
	}
	clear(s.writes)
	s.held, s.writes = s.held[:0], s.writes[:0]
	return s.failed
}

// Journal reads the journal and opens it for appending: a torn last line
// is cut off, so that the next entry starts on a line of its own.
func (s *session) Journal() ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushLocked(); err != nil {
		return nil, err
	}
	return s.openJournal()
}

func (s *session) openJournal() ([][]byte, error) {
	if s.journal != nil {
		s.journal.Close()
		s.journal = nil
	}
	path := filepath.Join(s.d.dir, JournalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, err
	}
	entries, good, err := readEntries(f)
	if err == nil {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.journal = f
	return entries, nil
}

// Append writes the entries, one line each, with one write call.
func (s *session) Append(entries ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		if _, err := s.openJournal(); err != nil {
			return err
		}
	}
	n := 0
	for _, e := range entries {
		n += len(e) + 1
	}
	b := s.line[:0]
	if cap(b) < n {
		b = make([]byte, 0, n)
	}
	for _, e := range entries {
		b = append(append(b, e...), '\n')
	}
	if cap(b) <= 1<<16 {
		s.line = b // for the next write; a large one is not kept
	}
	if err := s.hold(s.journal, b); err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	if s.sync {
		if err := s.journal.Sync(); err != nil {
			return fmt.Errorf("writing the journal: %w", err)
		}
	}
	return nil
}

func (s *session) Where(name string) string { return s.d.Where(name) }

// LocalDir is the directory: the commands of a run leave their marks there.
func (s *session) LocalDir() string { return s.d.dir }

var _ runtime.LocalDir = (*session)(nil)

func (s *session) Get(name string) ([]byte, error) { return s.d.Get(name) }

func (s *session) Put(name string, data []byte) error {
	// What was written before is on disk before the blob is replaced.
	if err := s.Flush(); err != nil {
		return err
	}
	return s.d.put(name, data, s.sync)
}

// Stream opens a file for appending (mode FileMode).
func (s *session) Stream(name string) (io.WriteCloser, error) {
	path, err := s.d.file(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, FileMode)
	if err != nil || !s.behind {
		return f, err
	}
	return &heldStream{s: s, f: f}, nil
}

// heldStream is a stream of a session that holds writes back.
type heldStream struct {
	s *session
	f *os.File
}

func (h *heldStream) Write(b []byte) (int, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if err := h.s.hold(h.f, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close writes what the session holds back, then closes the stream.
func (h *heldStream) Close() error {
	err := h.s.Flush()
	if e := h.f.Close(); err == nil {
		err = e
	}
	return err
}

// Release closes the journal, removes the holder record and releases the
// lock.
func (s *session) Release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.held.CompareAndSwap(s, nil)
	if s.timer != nil {
		s.timer.Stop()
	}
	err := s.flushLocked()
	if s.journal != nil {
		if e := s.journal.Close(); err == nil {
			err = e
		}
		s.journal = nil
	}
	if e := os.Remove(filepath.Join(s.d.dir, HolderFile)); e != nil && !errors.Is(e, fs.ErrNotExist) && err == nil {
		err = e
	}
	if e := s.fl.Unlock(); err == nil {
		err = e
	}
	return err
}

// Unlock clears a stale lock: the holder record of a run that died, or a
// lock file whose holder is gone. It refuses, with an error wrapping
// runtime.ErrHolderAlive, when the lock is held by a process that is alive
// on this host, or by a process on another host (it cannot tell), unless
// force is set.
func (d *Dir) Unlock(force bool) (*runtime.UnlockResult, error) {
	res := &runtime.UnlockResult{}
	if _, err := os.Stat(filepath.Join(d.dir, LockFile)); errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	res.Holder, _ = d.Holder()
	fl := flock.New(filepath.Join(d.dir, LockFile))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, err
	}
	if ok {
		// Nobody holds it: at most a record left behind by a crash.
		defer fl.Unlock()
		if res.Holder != nil {
			res.Cleared = true
			if err := os.Remove(filepath.Join(d.dir, HolderFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return res, err
			}
		}
		return res, nil
	}
	res.Held = true
	if !force {
		if res.Holder != nil && runtime.OnThisHost(res.Holder) && !runtime.HolderAlive(res.Holder) {
			// The record names a dead process, yet the lock is held: a
			// child of it keeps the lock file open. Still held.
			return res, fmt.Errorf("the lock is held, although its holder PID %d is gone (a process it started may keep it open): %w", res.Holder.PID, runtime.ErrHolderAlive)
		}
		return res, runtime.ErrHolderAlive
	}
	res.Cleared = true
	for _, f := range []string{HolderFile, LockFile} {
		if err := os.Remove(filepath.Join(d.dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
	}
	return res, nil
}
