//go:build !linux

package main

import "os"

// reserve reserves nothing where the system has no fallocate.
func reserve(f *os.File, size int64) bool { return false }
