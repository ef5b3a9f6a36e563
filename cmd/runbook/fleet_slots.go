package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"

	"github.com/runbookhq/runbook/internal/atomicfile"
)

// fleetSlots is the fleet's cap: a counting semaphore of N slots. A cluster
// holds one from before it is claimed until after it is released; the slots
// shared by several runners also keep what each was taken for, so that a
// command a dead runner started holds its slot until it ends.
type fleetSlots interface {
	// TryAcquire takes a free slot without waiting; ok is false when every
	// slot is taken: by a live holder, or by the work its last holder kept
	// in it and busy says is not over. work is kept in the slot taken (nil
	// keeps none). release frees the slot, and with clearWork the work.
	TryAcquire(work []byte, busy func(slot int, kept []byte) bool) (release func(clearWork bool), ok bool, err error)
}

// processSlots are the slots of one process.
type processSlots struct {
	mu   sync.Mutex
	n    int
	used int
	// held, if set, counts the slots that commands an earlier run started
	// hold, which outlived it.
	held func() int
}

func (s *processSlots) TryAcquire([]byte, func(int, []byte) bool) (func(bool), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.n || s.held != nil && s.used+s.held() >= s.n {
		return nil, false, nil
	}
	s.used++
	return func(bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.used--
	}, true, nil
}

// fileSlots are N lock files in a directory, slot-K.lock, each held with an
// exclusive flock: the processes of one machine that share the directory
// share the cap, and the kernel frees a dead process's slots. Beside each,
// slot-K.json is the work its holder took it for, written (atomically)
// once the slot is taken and before the work starts, and left by a holder
// whose work may not be over: the next taker reads it with the slot taken.
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

func (s *fileSlots) lockPath(k int) string {
	return filepath.Join(s.dir, fmt.Sprintf("slot-%d.lock", k))
}

func (s *fileSlots) workPath(k int) string {
	return filepath.Join(s.dir, fmt.Sprintf("slot-%d.json", k))
}

func (s *fileSlots) TryAcquire(work []byte, busy func(int, []byte) bool) (func(bool), bool, error) {
	for k := range s.n {
		l := flock.New(s.lockPath(k))
		ok, err := l.TryLock()
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		kept, err := os.ReadFile(s.workPath(k))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.Unlock()
			return nil, false, err
		}
		if len(kept) > 0 && busy != nil && busy(k, kept) {
			l.Unlock()
			continue
		}
		err = nil
		switch {
		case work != nil:
			// No sync: a crash of the machine ends every command with it.
			err = atomicfile.WriteFile(s.workPath(k), work, 0o600, false)
		case kept != nil:
			err = os.Remove(s.workPath(k))
		}
		if err != nil {
			l.Unlock()
			return nil, false, err
		}
		return func(clearWork bool) {
			if clearWork && work != nil {
				os.Remove(s.workPath(k))
			}
			l.Unlock()
		}, true, nil
	}
	return nil, false, nil
}

// Kept returns the work kept in each slot, by number.
func (s *fileSlots) Kept() (map[int][]byte, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	out := map[int][]byte{}
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "slot-")
		if num, ok = strings.CutSuffix(num, ".json"); !ok {
			continue
		}
		k, err := strconv.Atoi(num)
		if err != nil || k < 0 {
			continue
		}
		if work, err := os.ReadFile(s.workPath(k)); err == nil {
			out[k] = work // else replaced or removed since
		}
	}
	return out, nil
}
