// Package teststore gives tests the blobs and streams of a state directory
// without its lock: a simulator kept there across several runs of a test,
// each of which takes the lock itself.
package teststore

import (
	"io"
	"os"

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
