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
func TestFlushKilled(t *testing.T) {
	SetHeldDelay(t, time.Hour)
	before := []item{{JournalFile, "j0"}, {"sim.json.log", "s0"}, {JournalFile, "j1"}}
	held := []item{
		{JournalFile, "j2"}, {JournalFile, "j3"}, {"sim.json.log", "s1"}, {JournalFile, "j4"}, {"sim.json.log", "s2"},
		{"run.log", "l1"}, {"sim.json.log", "s3"}, {JournalFile, "j5"}, {"run.log", "l2"}, {"sim.json.log", "s4"},
	}
	all := append(slices.Clone(before), held...)
	calls := -1 // the flush's system calls, counted by a run with no kill
	for kill := -1; kill <= calls; kill++ {
		for _, torn := range []bool{false, true} {
			if kill < 0 && torn {
				continue
			}
			t.Run(fmt.Sprintf("call=%d/torn=%v", kill, torn), func(t *testing.T) {
				dir := t.TempDir()
				d := New(dir)
				sess := lockForTest(t, d)
				write(t, sess, before)
				if err := sess.Flush(); err != nil {
					t.Fatal(err)
				}
				write(t, sess, held)
				n := killAt(t, kill, torn)
				err := sess.Flush()
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
