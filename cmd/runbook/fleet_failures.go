package main

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofrs/flock"

	"github.com/runbookhq/runbook/runtime"
)

// processFailures are the failures of one fleet run that shares no state:
// its window is the process.
type processFailures struct {
	mu  sync.Mutex
	set map[string]bool
}

func (p *processFailures) Record(cluster string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil {
		p.set = map[string]bool{}
	}
	p.set[cluster] = true
	return nil
}

func (p *processFailures) Recorded(cluster string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set[cluster], nil
}

func (p *processFailures) Count() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.set), nil
}

func (p *processFailures) Close() error { return nil }

// fileFailures are the failures of the fleet runs sharing --state DIR: the
// failure of cluster NAME is the file DIR/.fleet/failed/NAME, created with
// O_EXCL. Each runner holds a shared flock on DIR/.fleet/window.lock while
// it lives; a runner that gets it exclusive is alone (the kernel freed the
// locks of those that died), and starts a new window: it deletes the last
// window's failures before it records any of its own.
type fileFailures struct {
	dir    string
	window *flock.Flock
}

var _ runtime.Failures = (*fileFailures)(nil)

// fleetFailuresDir is where fleet runs sharing --state DIR record their
// failures.
func fleetFailuresDir(state string) string { return filepath.Join(fleetSlotsDir(state), "failed") }

func openFileFailures(state string) (*fileFailures, error) {
	dir := fleetFailuresDir(state)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	window := flock.New(filepath.Join(fleetSlotsDir(state), "window.lock"))
	alone, err := window.TryLock()
	if err != nil {
		return nil, err
	}
	if alone {
		// No other runner is live: a new window.
		err := os.RemoveAll(dir)
		if err == nil {
			err = os.MkdirAll(dir, 0o700)
		}
		if err2 := window.Unlock(); err == nil {
			err = err2
		}
		if err != nil {
			return nil, err
		}
	}
	// Held shared as long as this runner lives. Another runner holds it
	// exclusive only for as long as it takes to find itself alone.
	if err := window.RLock(); err != nil {
		return nil, err
	}
	return &fileFailures{dir: dir, window: window}, nil
}

// failureName is a cluster's name as one file or key name.
func failureName(cluster string) string {
	esc := url.PathEscape(cluster)
	if strings.HasPrefix(esc, ".") {
		esc = "%2E" + esc[1:]
	}
	return esc
}

func (f *fileFailures) Record(cluster string) error {
	file, err := os.OpenFile(filepath.Join(f.dir, failureName(cluster)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return file.Close()
}

func (f *fileFailures) Recorded(cluster string) (bool, error) {
	_, err := os.Lstat(filepath.Join(f.dir, failureName(cluster)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (f *fileFailures) Count() (int, error) {
	entries, err := os.ReadDir(f.dir)
	return len(entries), err
}

func (f *fileFailures) Close() error { return f.window.Unlock() }
