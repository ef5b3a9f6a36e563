// Package teststore gives tests the blobs and streams of a state directory
// without its lock: a simulator kept there across several runs of a test,
// each of which takes the lock itself.
package teststore

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/runbookhq/runbook/stores/local"
)

// Unlocked is a state directory's blobs and streams, read and written
// without its lock.
type Unlocked struct {
	*local.Dir
}

// Dir returns the blobs and streams of the state directory dir.
func Dir(dir string) Unlocked {
	if err := os.MkdirAll(dir, local.DirMode); err != nil {
		panic(err)
	}
	return Unlocked{local.New(dir)}
}

// Stream opens a stream for appending.
func (u Unlocked) Stream(name string) (io.WriteCloser, error) {
	return os.OpenFile(u.Where(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, local.FileMode)
}

// CheckModes fails t for each folder or file below dir, dir included, that
// anyone but its owner may read: a state directory is 0700 and its files
// 0600.
func CheckModes(t testing.TB, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := local.FileMode
		if d.IsDir() {
			want = local.DirMode
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v; want %v", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
