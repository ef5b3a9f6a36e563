// Package atomicfile replaces a file's content so that a reader never sees
// half of it and a crash leaves the old content whole.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write replaces the file at path by what write writes, through a
// temporary file beside it renamed over it, with the given mode. With sync
// the data reaches the disk before the rename.
func Write(path string, mode os.FileMode, sync bool, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if sync {
		if err = tmp.Sync(); err != nil {
			return err
		}
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFile replaces the file at path by data, as Write does.
func WriteFile(path string, data []byte, mode os.FileMode, sync bool) error {
	return Write(path, mode, sync, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
