package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gofrs/flock"
)

// fleetSlots is the fleet's cap: a counting semaphore of N slots. A cluster
// holds one from before it is claimed until after it is released.
type fleetSlots interface {
	// TryAcquire takes a free slot without waiting; ok is false when every
	// slot is taken.
	TryAcquire() (release func(), ok bool, err error)
}

// processSlots are the slots of one process.
type processSlots struct {
	mu   sync.Mutex
	n    int
	used int
}

func (s *processSlots) TryAcquire() (func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.n {
		return nil, false, nil
	}
	s.used++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.used--
	}, true, nil
}

// fileSlots are N lock files in a directory, slot-K.lock, each held with an
// exclusive flock: the processes of one machine that share the directory
// share the cap, and the kernel frees a dead process's slots.
type fileSlots struct {
	dir string
	n   int
}

// fleetSlotsDir is where fleet runs sharing --state DIR keep their slots.
func fleetSlotsDir(state string) string { return filepath.Join(state, ".fleet") }

func newFileSlots(dir string, n int) (*fileSlots, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &fileSlots{dir: dir, n: n}, nil
}

func (s *fileSlots) TryAcquire() (func(), bool, error) {
	for k := range s.n {
		l := flock.New(filepath.Join(s.dir, fmt.Sprintf("slot-%d.lock", k)))
		ok, err := l.TryLock()
		if err != nil {
			return nil, false, err
		}
		if ok {
			return func() { l.Unlock() }, true, nil
		}
	}
	return nil, false, nil
}
