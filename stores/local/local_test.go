package local_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

func TestOpenByReference(t *testing.T) {
	kinds := builtin.Stores()
	for _, tc := range []struct {
		ref, where, err string
	}{
		{ref: "state/x", where: "state/x"},
		{ref: "/var/lib/runbook/x", where: "/var/lib/runbook/x"},
		{ref: "file:///var/lib/runbook/x", where: "/var/lib/runbook/x"},
		{ref: "file://relative", err: "absolute path"},
		{ref: "nosuch://host/x", err: `no kind of state store has the scheme "nosuch" (known: etcd, file)`},
	} {
		store, err := kinds.Open(tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Open(%q) = %v; want an error with %q", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.ref, err)
			continue
		}
		if got := store.Where(""); got != tc.where {
			t.Errorf("Open(%q).Where = %q; want %q", tc.ref, got, tc.where)
		}
	}
}

// TestJournal: entries appended in one write come back in order; a torn
// last line (a crash in mid-write) is dropped and cut off, so that the next
// entry starts on a line of its own; a garbled line before the last is an
// error.
func TestJournal(t *testing.T) {
	dir := t.TempDir()
	store := local.New(dir)
	sess, err := store.Lock(context.Background(), runtime.Holder{User: "u"}, runtime.LockOptions{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Append([]byte(`{"a":1}`), []byte(`{"b":2}`)); err != nil {
		t.Fatal(err)
	}
	sess.Release()
	path := filepath.Join(dir, local.JournalFile)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"c":`)
	f.Close()

	sess, err = store.Lock(context.Background(), runtime.Holder{User: "u"}, runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sess.Journal()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Append([]byte(`{"d":4}`)); err != nil {
		t.Fatal(err)
	}
	sess.Release()
	if diff := cmp.Diff([]string{`{"a":1}`, `{"b":2}`}, strs(got)); diff != "" {
		t.Errorf("journal read under the lock (-want +got):\n%s", diff)
	}
	got, err = store.Journal()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"a":1}`, `{"b":2}`, `{"d":4}`}, strs(got)); diff != "" {
		t.Errorf("journal after the torn line (-want +got):\n%s", diff)
	}

	os.WriteFile(path, []byte("{\"a\":1}\nnot json\n{\"b\":2}\n"), 0o600)
	if _, err := store.Journal(); err == nil || !strings.Contains(err.Error(), "journal line 2") {
		t.Errorf("a garbled line before the last: %v; want an error naming line 2", err)
	}
}

// TestJournalKept: a journal without a torn line is read and opened for
// appending as it is, not truncated to its length (which ext4 takes, for
// an empty file, as a replacement whose data it writes out at its close):
// its modification time stays. One with a torn line has it cut off.
func TestJournalKept(t *testing.T) {
	const torn = "{\"a\":1}\n{\"b\":2, \"torn\": \"a line much longer than the next entry"
	path := openedJournal(t, torn, time.Time{})
	if b, err := os.ReadFile(path); err != nil || string(b) != "{\"a\":1}\n" {
		t.Errorf("torn journal opened: %q, %v; want the torn line cut off", b, err)
	}

	for _, content := range []string{"", "{\"a\":1}\n{\"b\":2}\n"} {
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		fi, err := os.Stat(openedJournal(t, content, old))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(old) || fi.Size() != int64(len(content)) {
			t.Errorf("journal %q: modified at %v, %d bytes; want it untouched", content, fi.ModTime(), fi.Size())
		}
	}
}

// openedJournal writes content as the journal of a new state directory,
// modified at mtime (unless zero), opens it as a run does and releases the
// lock; it returns the journal's path.
func openedJournal(t *testing.T, content string, mtime time.Time) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, local.JournalFile)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := local.New(dir).Lock(context.Background(), runtime.Holder{User: "u"}, runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Release()
	if _, err := sess.Journal(); err != nil {
		t.Fatal(err)
	}
	return path
}

func strs(bs [][]byte) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

// TestLock: the lock is taken once; whoever is refused learns who holds it;
// a blob is a plain name, written only in the directory.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	store := local.New(filepath.Join(dir, "st"))
	h := runtime.Holder{User: "alice", Host: "ops1", PID: 42, Command: "runbook run r.hcl"}
	sess, err := store.Lock(context.Background(), h, runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Lock(context.Background(), runtime.Holder{User: "bob"}, runtime.LockOptions{})
	var locked *runtime.LockedError
	if !errors.As(err, &locked) || locked.Holder == nil || locked.Holder.User != "alice" {
		t.Fatalf("second lock: %v; want a LockedError naming alice", err)
	}
	if _, err := store.Unlock(false); !errors.Is(err, runtime.ErrHolderAlive) {
		t.Errorf("Unlock of a held lock: %v; want ErrHolderAlive", err)
	}
	for _, name := range []string{"../x", "a/b", local.JournalFile, local.HolderFile, ""} {
		if err := sess.Put(name, nil); err == nil {
			t.Errorf("Put(%q) succeeded; want it refused", name)
		}
	}
	if err := sess.Put(runtime.SnapshotBlob, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if b, err := store.Get(runtime.SnapshotBlob); err != nil || string(b) != "{}" {
		t.Errorf("Get = %q, %v", b, err)
	}
	if _, err := store.Get(runtime.ReportBlob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of a missing blob: %v; want ErrNotExist", err)
	}
	if err := sess.Release(); err != nil {
		t.Fatal(err)
	}
	if h, _ := store.Holder(); h != nil {
		t.Errorf("holder after release: %v", h)
	}
}

// TestWriteBehind: a session that holds its writes back writes nothing
// until a read of the directory, a blob's replacement, a stream's close or
// its end asks, and then everything, in the order it was made.
func TestWriteBehind(t *testing.T) {
	local.SetHeldDelay(t, time.Hour)
	dir := t.TempDir()
	d := local.New(dir)
	sess, err := d.Lock(context.Background(), runtime.Holder{PID: os.Getpid()}, runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	w, err := sess.Stream("sim.json.log")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return string(b)
	}
	if err := sess.Append([]byte(`{"n":1}`), []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("effect 2\n")); err != nil {
		t.Fatal(err)
	}
	if err := sess.Append([]byte(`{"n":3}`)); err != nil {
		t.Fatal(err)
	}
	if got := read(local.JournalFile) + read("sim.json.log"); got != "" {
		t.Fatalf("written before it was asked: %q", got)
	}
	entries, err := d.Journal() // a reader of the directory sees every write
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || read("sim.json.log") != "effect 2\n" {
		t.Fatalf("after a read: %d entries, stream %q", len(entries), read("sim.json.log"))
	}
	if err := sess.Append([]byte(`{"n":4}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("effect 4\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(local.JournalFile); got != "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n" {
		t.Fatalf("journal after the stream's close: %q", got)
	}
	if err := sess.Append([]byte(`{"n":5}`)); err != nil {
		t.Fatal(err)
	}
	if err := sess.Release(); err != nil {
		t.Fatal(err)
	}
	if got := read(local.JournalFile); !strings.HasSuffix(got, "{\"n\":5}\n") {
		t.Fatalf("journal after release: %q", got)
	}
	if got := read("sim.json.log"); got != "effect 2\neffect 4\n" {
		t.Fatalf("stream: %q", got)
	}
}

// TestPutWith: a blob written as it is made replaces the old one whole, or
// not at all when the writing fails, and is its owner's alone.
func TestPutWith(t *testing.T) {
	dir := t.TempDir()
	d := local.New(dir)
	sess, err := d.Lock(context.Background(), runtime.Holder{PID: os.Getpid()}, runtime.LockOptions{WriteBehind: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Release()
	if err := sess.Put("report.html", []byte("old")); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("failed")
	err = runtime.PutBlob(sess, "report.html", 0, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("PutBlob: %v; want the writer's error", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "report.html")); string(b) != "old" {
		t.Fatalf("after a failed write: %q; want the old blob", b)
	}
	for _, to := range []interface{ Put(string, []byte) error }{sess, d} {
		if err := runtime.PutBlob(to, "report.html", 0, func(w io.Writer) error {
			_, err := io.WriteString(w, "new, in two ")
			io.WriteString(w, "writes")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "report.html")); string(b) != "new, in two writes" {
			t.Fatalf("blob: %q", b)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	teststore.CheckModes(t, dir)
}
