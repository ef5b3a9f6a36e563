package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// item is one line written through a session: to the journal, or to a
// stream.
type item struct{ file, line string }

// TestFlushKilled kills a session (its writes stop, its lock is dropped)
// at each system call of a flush of writes held back that alternate
// between the journal and two streams, whole or in the middle of the call,
// then locks the directory again: the journal and the streams must then
// hold the same prefix of the writes as they were made, with everything
// written before that flush, as if the writes had been made one by one in
// their order and the kill had come between two of them.
//
// With an operation in flight (BeginOp, then its intent in the journal
// and its effect in the simulator's stream), the flush is the timer's:
// it must write the writes made before the operation began, and none of
// the operation's, so that no kill leaves its intent on disk without its
// effect.
func TestFlushKilled(t *testing.T) {
	SetHeldDelay(t, time.Hour)
	before := []item{{JournalFile, "j0"}, {"sim.json.log", "s0"}, {JournalFile, "j1"}}
	held := []item{
		{JournalFile, "j2"}, {JournalFile, "j3"}, {"sim.json.log", "s1"}, {JournalFile, "j4"}, {"sim.json.log", "s2"},
		{"run.log", "l1"}, {"sim.json.log", "s3"}, {JournalFile, "j5"}, {"run.log", "l2"}, {"sim.json.log", "s4"},
		{JournalFile, "j6"}, // the intent that follows is not part of this write
	}
	op := []item{{JournalFile, "intent"}, {"sim.json.log", "effect"}, {JournalFile, "outcome"}}
	all := append(slices.Clone(before), held...)
	for _, inflight := range []bool{false, true} {
		calls := -1 // the flush's system calls, counted by a run with no kill
		for kill := -1; kill <= calls; kill++ {
			for _, torn := range []bool{false, true} {
				if kill < 0 && torn {
					continue
				}
				t.Run(fmt.Sprintf("inflight=%v/call=%d/torn=%v", inflight, kill, torn), func(t *testing.T) {
					dir := t.TempDir()
					d := New(dir)
					sess := lockForTest(t, d)
					write(t, sess, before)
					if err := sess.Flush(); err != nil {
						t.Fatal(err)
					}
					write(t, sess, held)
					if inflight {
						sess.BeginOp()
						write(t, sess, op[:2])
					}
					n := killAt(t, kill, torn)
					var err error
					if inflight {
						sess.flushTimed()
						err = sess.failed
					} else {
						err = sess.Flush()
					}
					if kill < 0 {
						if err != nil {
							t.Fatal(err)
						}
						calls = *n
					}
					// The kill: nothing more is written, the kernel drops the
					// lock.
					sess.fl.Unlock()
					d.held.Store(nil)
					restoreWrites()

					again := lockForTest(t, New(dir))
					defer again.Release()
					if _, err := os.Stat(filepath.Join(dir, RedoFile)); err == nil {
						t.Errorf("%s left after the lock", RedoFile)
					}
					entries, err := again.Journal()
					if err != nil {
						t.Fatal(err)
					}
					got := map[string][]string{JournalFile: nil}
					for _, e := range entries {
						got[JournalFile] = append(got[JournalFile], string(e))
					}
					for _, name := range []string{"sim.json.log", "run.log"} {
						b, err := os.ReadFile(filepath.Join(dir, name))
						if err != nil && !errors.Is(err, os.ErrNotExist) {
							t.Fatal(err)
						}
						if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
							t.Fatalf("%s: torn: %q", name, b)
						}
						if s := strings.TrimSuffix(string(b), "\n"); s != "" {
							got[name] = strings.Split(s, "\n")
						}
					}
					for p := len(before); p <= len(all); p++ {
						if prefixIs(got, all[:p]) {
							if kill < 0 && p < len(all) {
								t.Errorf("a flush with no kill wrote %d of %d", p, len(all))
							}
							return
						}
					}
					t.Errorf("not a prefix of the writes with those before the flush: %q", got)
				})
			}
		}
	}
}

func lockForTest(t *testing.T, d *Dir) *session {
	t.Helper()
	sess, err := d.Lock(context.Background(), runtime.Holder{PID: os.Getpid()}, runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	return sess.(*session)
}

// write writes the items, consecutive journal lines in one Append.
func write(t *testing.T, sess *session, items []item) {
	t.Helper()
	for i := 0; i < len(items); {
		if items[i].file == JournalFile {
			var entries [][]byte
			for ; i < len(items) && items[i].file == JournalFile; i++ {
				entries = append(entries, []byte(`"`+items[i].line+`"`))
			}
			if err := sess.Append(entries...); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := sess.Stream(items[i].file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(items[i].line + "\n")); err != nil {
			t.Fatal(err)
		}
		i++
	}
}

var errKilled = errors.New("killed")

// killAt makes the flush's system calls stop at the one numbered kill
// (from 0), which writes half its data when torn; it returns the number
// of calls made.
func killAt(t *testing.T, kill int, torn bool) *int {
	n := 0
	stop := func(b []byte) ([]byte, bool) {
		n++
		switch {
		case kill < 0 || n-1 < kill:
			return b, true
		case n-1 == kill && torn:
			return b[:len(b)/2], false
		}
		return nil, false
	}
	fileWrite = func(f *os.File, b []byte) (int, error) {
		b, ok := stop(b)
		k, err := f.Write(b)
		if !ok && err == nil {
			err = errKilled
		}
		return k, err
	}
	fileWriteAt = func(f *os.File, b []byte, off int64) (int, error) {
		b, ok := stop(b)
		k, err := f.WriteAt(b, off)
		if !ok && err == nil {
			err = errKilled
		}
		return k, err
	}
	fileTruncate = func(f *os.File, size int64) error {
		if _, ok := stop(nil); !ok {
			return errKilled
		}
		return f.Truncate(size)
	}
	t.Cleanup(restoreWrites)
	return &n
}

func restoreWrites() {
	fileWrite, fileWriteAt, fileTruncate = (*os.File).Write, (*os.File).WriteAt, (*os.File).Truncate
}

// prefixIs reports whether each file holds exactly its lines of items.
func prefixIs(got map[string][]string, items []item) bool {
	want := map[string][]string{JournalFile: nil}
	for _, it := range items {
		line := it.line
		if it.file == JournalFile {
			line = `"` + line + `"`
		}
		want[it.file] = append(want[it.file], line)
	}
	for _, f := range []string{JournalFile, "sim.json.log", "run.log"} {
		if !slices.Equal(got[f], want[f]) {
			return false
		}
	}
	return true
}

// TestFlushInFlight: while an operation is in flight, the timer's flush
// and the flush of a large hold write what was held before it began, and
// nothing of it (its intent, its effect), until so much is held that
// memory must be freed; once it ended, they write everything.
func TestFlushInFlight(t *testing.T) {
	SetHeldDelay(t, time.Hour)
	dir := t.TempDir()
	sess := lockForTest(t, New(dir))
	defer sess.Release()
	read := func() map[string][]string {
		t.Helper()
		got := map[string][]string{}
		for _, name := range []string{JournalFile, "sim.json.log"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				if l != "" && len(l) < 100 {
					got[name] = append(got[name], l)
				}
			}
		}
		return got
	}
	check := func(what string, want ...string) {
		t.Helper()
		got := read()
		var lines []string
		for _, name := range []string{JournalFile, "sim.json.log"} {
			lines = append(lines, got[name]...)
		}
		if !slices.Equal(lines, want) {
			t.Errorf("%s: on disk %q, want %q", what, lines, want)
		}
	}
	write(t, sess, []item{{JournalFile, "j0"}, {"sim.json.log", "s0"}, {JournalFile, "j1"}})
	sess.BeginOp()
	write(t, sess, []item{{JournalFile, "intent"}})
	sess.flushTimed()
	check("the timer between the intent and the effect", `"j0"`, `"j1"`, "s0")
	write(t, sess, []item{{"sim.json.log", "effect"}})
	sess.flushTimed()
	check("the timer between the effect and the outcome", `"j0"`, `"j1"`, "s0")
	write(t, sess, []item{{JournalFile, "outcome"}})
	sess.EndOp()
	sess.flushTimed()
	check("the timer after the outcome", `"j0"`, `"j1"`, `"intent"`, `"outcome"`, "s0", "effect")

	// A large hold: written up to the operation's start, then whole once
	// heldHard is reached.
	write(t, sess, []item{{JournalFile, "j2"}})
	sess.BeginOp()
	write(t, sess, []item{{JournalFile, "intent2"}})
	big := bytes.Repeat([]byte("x"), heldMax/2)
	big[len(big)-1] = '\n'
	w, err := sess.Stream("sim.json.log")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := w.Write(big); err != nil {
			t.Fatal(err)
		}
	}
	if sess.heldN < heldMax {
		t.Fatalf("held %d, want at least %d", sess.heldN, heldMax)
	}
	check("past heldMax", `"j0"`, `"j1"`, `"intent"`, `"outcome"`, `"j2"`, "s0", "effect")
	for sess.heldN > 0 {
		if sess.heldN > heldHard {
			t.Fatalf("held %d, more than %d", sess.heldN, heldHard)
		}
		if _, err := w.Write(big); err != nil {
			t.Fatal(err)
		}
	}
	check("at heldHard", `"j0"`, `"j1"`, `"intent"`, `"outcome"`, `"j2"`, `"intent2"`, "s0", "effect")
	sess.EndOp()
}
