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
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
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

var (
	_ runtime.Store      = (*Dir)(nil)
	_ runtime.BlobWriter = (*Dir)(nil)
	_ runtime.BlobWriter = (*session)(nil)
)

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
		name == JournalFile || name == LockFile || name == HolderFile || name == RedoFile {
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

// PutWith replaces a blob by what write writes, as Put does, written to
// the file as it is made.
func (d *Dir) PutWith(name string, write func(io.Writer) error) error {
	return d.putWith(name, write, false)
}

func (d *Dir) putWith(name string, write func(io.Writer) error, sync bool) error {
	path, err := d.file(name)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, FileMode, sync, write)
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
	if err := d.replayRedo(); err != nil {
		fl.Unlock()
		return nil, err
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
	// jsize is the journal's size: where its next write lands.
	jsize int64
	// line is Append's buffer, reused from write to write.
	line []byte

	// behind holds writes back (runtime.LockOptions.WriteBehind): the
	// journal's and the streams' writes wait, each file's in a buffer of
	// its own, with segs their order across files, until written together
	// by flush: when heldN is large, a moment after the first of them,
	// before a blob is replaced or the directory read, and at the end.
	behind bool
	files  []heldFile
	segs   []heldSeg
	heldN  int
	timer  *time.Timer
	// ops is how many operations are between their intent and their
	// outcome (BeginOp, EndOp); mark is how many of segs were held when
	// the first of them began: while ops > 0, a flush of the session's
	// own accord (flushSettled) writes only those, so that it never
	// writes an intent without the effect and outcome that follow it.
	ops, mark int
	// redo is the redo file, open once a flush needed it; scratch is the
	// buffer its content is built in.
	redo    *os.File
	scratch []byte
	// failed is the failure of a write held back, returned by the next.
	failed error
}

// heldFile is what is held back for one file.
type heldFile struct {
	f *os.File
	// name is f's, kept with buf once a flush parked them (f nil): the
	// next writes to the file find their buffer grown to their size.
	name string
	buf  []byte
}

// heldSeg is a write held back, or several in a row to the same file:
// files[file].buf up to end.
type heldSeg struct {
	file int
	end  int
}

// Write-behind bounds: how much is held at most, and how long (a variable
// for the tests). While an operation is in flight, what it wrote is held
// past heldMax, up to heldHard: only the simulator's runs hold writes back,
// and its operations are short.
const (
	heldMax  = 1 << 20
	heldHard = 8 * heldMax
)

var heldDelay = 50 * time.Millisecond

// The system calls of a flush: variables for the tests, which stop them
// where a kill would.
var (
	fileWrite    = (*os.File).Write
	fileWriteAt  = (*os.File).WriteAt
	fileTruncate = (*os.File).Truncate
)

// hold queues b for f, or writes it at once when the session does not
// hold writes back. The caller holds s.mu.
func (s *session) hold(f *os.File, b []byte) error {
	if !s.behind {
		n, err := f.Write(b)
		if f == s.journal {
			s.jsize += int64(n)
		}
		return err
	}
	if s.failed != nil {
		return s.failed
	}
	i := s.heldFor(f)
	s.files[i].buf = append(grow(s.files[i].buf, len(b)), b...)
	return s.held(i, len(b))
}

// grow returns b with room for n more bytes: twice its capacity, at least,
// when it has not (append grows a large slice by a quarter at a time, and
// a buffer held back grows to heldMax at every flush).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(2*cap(b), len(b)+n, 4096))
	copy(nb, b)
	return nb
}

// heldFor is the index in files of what is held for f, added if need be.
func (s *session) heldFor(f *os.File) int {
	// By name: two streams of one file are one file's writes.
	i := 0
	for i < len(s.files) && s.files[i].f != f && s.files[i].f.Name() != f.Name() {
		i++
	}
	if i == len(s.files) {
		s.files = append(s.files, heldFile{f: f, name: f.Name(), buf: s.spare(i, f.Name())})
	}
	return i
}

// held records that n bytes were just added to files[i].buf, and flushes
// or arms the timer as hold says.
func (s *session) held(i, n int) error {
	// The write that ends at the mark is not extended past it.
	if k := len(s.segs); k > 0 && s.segs[k-1].file == i && (s.ops == 0 || k != s.mark) {
		s.segs[k-1].end = len(s.files[i].buf)
	} else {
		s.segs = append(s.segs, heldSeg{file: i, end: len(s.files[i].buf)})
	}
	first := s.heldN == 0
	s.heldN += n
	if s.heldN >= heldMax {
		return s.flushSettled()
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(heldDelay, s.flushTimed)
	} else if first {
		s.timer.Reset(heldDelay)
	}
	return nil
}

// spare returns a buffer parked at an earlier flush (resetHeld), emptied,
// for files[i]: the one of the file named name if there is one, moved to
// i; the one at i otherwise; nil if none.
func (s *session) spare(i int, name string) []byte {
	parked := s.files[i:cap(s.files)]
	for j := range parked {
		if parked[j].name == name {
			parked[0], parked[j] = parked[j], parked[0]
			break
		}
	}
	if len(parked) > 0 {
		return parked[0].buf[:0]
	}
	return nil
}

// Flush writes what the session holds back.
func (s *session) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

var _ runtime.OpBracket = (*session)(nil)

// BeginOp is called before an operation's intent is journaled: until the
// matching EndOp, a flush of the session's own accord writes only what
// was held before it.
func (s *session) BeginOp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.behind {
		return
	}
	if s.ops == 0 {
		s.mark = len(s.segs)
	}
	s.ops++
}

// EndOp is called once an operation's outcome is journaled.
func (s *session) EndOp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops > 0 {
		s.ops--
	}
}

// flushTimed is the timer's flush, a moment after the first write held;
// it comes again while something is still held (an operation in flight).
func (s *session) flushTimed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushSettled()
	if s.heldN > 0 && s.failed == nil && s.timer != nil && s.d.held.Load() == s {
		s.timer.Reset(heldDelay)
	}
}

// flushSettled is a flush of the session's own accord (the timer's, or
// when much is held): while an operation is in flight, it writes only
// what was held before the first of those in flight began, unless what
// is held reached heldHard. A kill after it thus never leaves on disk an
// operation's intent without its effect on the simulator's cluster: a
// resumed rehearsal finds no step in doubt that an uninterrupted one
// would not have left. The caller holds s.mu.
func (s *session) flushSettled() error {
	if s.ops == 0 || s.heldN >= heldHard {
		return s.flushLocked()
	}
	return s.flushTo(s.mark)
}

// flushLocked writes what is held back with one write per file: the
// journal's first, then each stream's. That order is not the order the
// writes were made in when they alternate (an operation's intent in the
// journal, its effect in the simulator's stream, its outcome in the
// journal, ...): a kill between two of these writes would leave the
// journal ahead of a stream. So first the streams' part goes to the redo
// file, each write with the size the journal had when it was made; the
// next lock of the directory writes what a kill left out of the streams,
// as far as the journal on disk goes (replayRedo). A kill thus loses at
// most what was held, in the journal and every stream alike, and never
// leaves a stream ahead of the journal, nor the journal ahead of a
// stream once replayed.
func (s *session) flushLocked() error {
	return s.flushTo(len(s.segs))
}

// flushTo writes the first m writes held back (segs[:m]) as flushLocked
// writes them all, and keeps the others held. The caller holds s.mu.
func (s *session) flushTo(m int) error {
	if m == 0 {
		return s.failed
	}
	if s.failed != nil {
		s.resetHeld()
		return s.failed
	}
	// cut[i] is how much of files[i].buf the m writes are.
	cut := make([]int, len(s.files))
	for _, sg := range s.segs[:m] {
		cut[sg.file] = sg.end
	}
	if err := s.writeHeld(s.segs[:m], cut); err != nil || m == len(s.segs) {
		s.resetHeld()
		return err
	}
	// What is kept moves to the front of its buffer.
	written := 0
	for i := range s.files {
		b := s.files[i].buf
		s.files[i].buf = b[:copy(b, b[cut[i]:])]
		written += cut[i]
	}
	rest := s.segs[:copy(s.segs, s.segs[m:])]
	for k := range rest {
		rest[k].end -= cut[rest[k].file]
	}
	s.segs, s.heldN, s.mark = rest, s.heldN-written, 0
	return nil
}

// writeHeld writes segs, with each file's buffer up to cut. The caller
// holds s.mu.
func (s *session) writeHeld(segs []heldSeg, cut []int) error {
	// The files in the order they are written: the journal first.
	order := make([]int, 0, 4)
	for i := range s.files {
		if cut[i] > 0 && s.files[i].f == s.journal {
			order = append(order, i)
		}
	}
	for i := range s.files {
		if cut[i] > 0 && s.files[i].f != s.journal {
			order = append(order, i)
		}
	}
	if len(order) > 1 && !inOrder(segs, order) {
		if err := s.writeRedo(segs); err != nil {
			s.failed = fmt.Errorf("writing %s: %w", s.d.Where(RedoFile), err)
			return s.failed
		}
	}
	for _, i := range order {
		h := &s.files[i]
		n, err := fileWrite(h.f, h.buf[:cut[i]])
		if h.f == s.journal {
			s.jsize += int64(n)
		}
		if err != nil {
			// The streams are not written past a journal that failed:
			// what the redo file holds is written, as far as the journal
			// went, at the next lock.
			s.failed = fmt.Errorf("writing %s: %w", h.f.Name(), err)
			return s.failed
		}
	}
	if s.redo != nil {
		if err := fileTruncate(s.redo, 0); err != nil {
			s.failed = fmt.Errorf("writing %s: %w", s.redo.Name(), err)
		}
	}
	return s.failed
}

// inOrder reports whether segs, the order the writes were made in, is
// already that of the files in order: each file's writes together.
func inOrder(segs []heldSeg, order []int) bool {
	k := 0
	for _, sg := range segs {
		for k < len(order) && order[k] != sg.file {
			k++
		}
		if k == len(order) {
			return false
		}
	}
	return true
}

func (s *session) resetHeld() {
	for i := range s.files {
		s.files[i].f = nil
		if cap(s.files[i].buf) > heldHard {
			s.files[i].buf = nil // an exceptional write is not kept
		}
	}
	s.files, s.segs, s.heldN, s.mark = s.files[:0], s.segs[:0], 0, 0
}

// RedoFile is the file a flush of held writes (runtime.LockOptions.
// WriteBehind) writes the streams' part to before it writes the journal:
// empty, or absent, unless a run was killed in the middle of a flush.
const RedoFile = "held.redo"

// The redo file is redoMagic, the length of the body and its CRC-32
// (IEEE), both big-endian uint32, then the body: for each write to a
// stream, in the order they were made, the stream's name (uint16 length,
// bytes), the offset in it the write lands at and the journal's size when
// it was made (int64 each), and the data (uint32 length, bytes).
const redoMagic = "runbook redo 1\n"

func (s *session) writeRedo(segs []heldSeg) error {
	if s.redo == nil {
		f, err := os.OpenFile(filepath.Join(s.d.dir, RedoFile), os.O_RDWR|os.O_CREATE, FileMode)
		if err != nil {
			return err
		}
		s.redo = f
	}
	// Where each stream's writes land: its end (streams append).
	at := make([]int64, len(s.files))
	for i := range s.files {
		if s.files[i].f == s.journal {
			continue
		}
		fi, err := s.files[i].f.Stat()
		if err != nil {
			return err
		}
		at[i] = fi.Size()
	}
	// Room for it all at once: the streams' writes and a header each.
	size := len(redoMagic) + 8
	for i := range s.files {
		if s.files[i].f != s.journal {
			size += len(s.files[i].buf)
		}
	}
	b := append(grow(s.scratch[:0], size+len(segs)*(2+64+20)), redoMagic...)
	b = append(b, make([]byte, 8)...)
	start := make([]int, len(s.files))
	jend := s.jsize
	for _, sg := range segs {
		h := &s.files[sg.file]
		data := h.buf[start[sg.file]:sg.end]
		start[sg.file] = sg.end
		if h.f == s.journal {
			jend += int64(len(data))
			continue
		}
		name := filepath.Base(h.f.Name())
		b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
		b = append(b, name...)
		b = binary.BigEndian.AppendUint64(b, uint64(at[sg.file]))
		b = binary.BigEndian.AppendUint64(b, uint64(jend))
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		at[sg.file] += int64(len(data))
	}
	body := b[len(redoMagic)+8:]
	binary.BigEndian.PutUint32(b[len(redoMagic):], uint32(len(body)))
	binary.BigEndian.PutUint32(b[len(redoMagic)+4:], crc32.ChecksumIEEE(body))
	if cap(b) <= 4*heldMax {
		s.scratch = b
	}
	_, err := fileWriteAt(s.redo, b, 0)
	return err
}

// replayRedo writes what a run killed in the middle of a flush left out of
// its streams, as far as the journal on disk goes, then removes the redo
// file. A torn redo file is from a flush that wrote nothing else. The
// caller holds the lock.
func (d *Dir) replayRedo() error {
	path := filepath.Join(d.dir, RedoFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.replay(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Remove(path)
}

func (d *Dir) replay(b []byte) error {
	h := len(redoMagic) + 8
	if len(b) < h || string(b[:len(redoMagic)]) != redoMagic {
		return nil
	}
	n := int(binary.BigEndian.Uint32(b[len(redoMagic):]))
	if len(b)-h < n || crc32.ChecksumIEEE(b[h:h+n]) != binary.BigEndian.Uint32(b[len(redoMagic)+4:]) {
		return nil // torn: nothing after it was written
	}
	body := b[h : h+n]
	var jsize int64
	switch fi, err := os.Stat(filepath.Join(d.dir, JournalFile)); {
	case err == nil:
		jsize = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for len(body) > 0 {
		if len(body) < 2 {
			return errors.New("malformed")
		}
		k := int(binary.BigEndian.Uint16(body))
		if len(body) < 2+k+20 {
			return errors.New("malformed")
		}
		name := string(body[2 : 2+k])
		off := int64(binary.BigEndian.Uint64(body[2+k:]))
		jmin := int64(binary.BigEndian.Uint64(body[2+k+8:]))
		m := int(binary.BigEndian.Uint32(body[2+k+16:]))
		body = body[2+k+20:]
		if len(body) < m {
			return errors.New("malformed")
		}
		data := body[:m]
		body = body[m:]
		if jmin > jsize {
			break // made after what the journal kept: lost with it
		}
		path, err := d.file(name)
		if err != nil {
			return err
		}
		f, ok := files[name]
		if !ok {
			if f, err = os.OpenFile(path, os.O_WRONLY, FileMode); errors.Is(err, fs.ErrNotExist) {
				files[name] = nil
				continue // removed since: nothing to complete
			} else if err != nil {
				return err
			}
			files[name] = f
		}
		if f == nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		size := fi.Size()
		if size < off || size >= off+int64(m) {
			continue // replaced since (shorter), or written already
		}
		if _, err := f.WriteAt(data[size-off:], size); err != nil {
			return err
		}
	}
	return nil
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
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekEnd)
	}
	if err == nil && size > good {
		// Only a torn line is cut off. A file truncated to no length is
		// marked, on ext4, to have its data written out when it is closed
		// (auto_da_alloc): the whole journal of a run, at its very end.
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.journal, s.jsize = f, good
	return entries, nil
}

// Append writes the entries, one line each, with one write call (held
// back, straight into what is held for the journal), as AppendLines.
func (s *session) Append(entries ...[]byte) error {
	return s.AppendLines(entryLines(entries))
}

// entryLines fills lines with entries, each then a newline, with room
// for them all made at once: a large write (a step's many observations)
// grows the buffer once.
type entryLines [][]byte

func (es entryLines) FillLines(b []byte) ([]byte, error) {
	n := 0
	for _, e := range es {
		n += len(e) + 1
	}
	b = grow(b, n)
	for _, e := range es {
		b = append(append(b, e...), '\n')
	}
	return b, nil
}

var _ runtime.LineAppender = (*session)(nil)

// AppendLines appends the lines f appends to the buffer it is given,
// as Append appends them; held back, fill appends them straight to what
// is held for the journal.
func (s *session) AppendLines(f runtime.LineFiller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		if _, err := s.openJournal(); err != nil {
			return err
		}
	}
	if s.behind && s.failed == nil {
		i := s.heldFor(s.journal)
		start := len(s.files[i].buf)
		b, err := f.FillLines(s.files[i].buf)
		if err != nil {
			return err
		}
		s.files[i].buf = b
		if err := s.held(i, len(b)-start); err != nil {
			return fmt.Errorf("writing the journal: %w", err)
		}
		return nil
	}
	b, err := f.FillLines(s.line[:0])
	if err != nil {
		return err
	}
	return s.appendLine(b)
}

// appendLine writes b, whole lines, to the journal, or holds it back.
// The caller holds s.mu.
func (s *session) appendLine(b []byte) error {
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

// PutWith replaces a blob by what write writes, as Put does.
func (s *session) PutWith(name string, write func(io.Writer) error) error {
	if err := s.Flush(); err != nil {
		return err
	}
	return s.d.putWith(name, write, s.sync)
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
	// Its buffers go with it: the directory may be kept (a test's, a
	// process that locks it again).
	s.files, s.segs, s.scratch, s.line = nil, nil, nil, nil
	if s.redo != nil {
		s.redo.Close()
		if err == nil {
			// Every flush ended: nothing to redo.
			if e := os.Remove(s.redo.Name()); e != nil && !errors.Is(e, fs.ErrNotExist) {
				err = e
			}
		}
		s.redo = nil
	}
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
