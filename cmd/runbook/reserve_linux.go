package main

import (
	"os"
	"syscall"
)

// reserve reserves size bytes on the disk for f, without changing its
// length (fallocate with FALLOC_FL_KEEP_SIZE), and reports whether it did.
func reserve(f *os.File, size int64) bool {
	c, err := f.SyscallConn()
	if err != nil || size <= 0 {
		return false
	}
	var ferr error
	if err := c.Control(func(fd uintptr) {
		const keepSize = 0x1 // FALLOC_FL_KEEP_SIZE
		ferr = syscall.Fallocate(int(fd), keepSize, 0, size)
	}); err != nil {
		return false
	}
	return ferr == nil
}
