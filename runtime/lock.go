package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// Holder says who holds a state directory's lock.
type Holder struct {
	User    string    `json:"user"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
}

// CurrentHolder describes this process running command.
func CurrentHolder(command string) Holder {
	h := Holder{PID: os.Getpid(), Since: time.Now(), Command: command}
	h.Host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	} else {
		h.User = os.Getenv("USER")
	}
	return h
}

func (h *Holder) String() string {
	return fmt.Sprintf("%s@%s (PID %d, %q) since %s", h.User, h.Host, h.PID, h.Command, h.Since.Format("2006-01-02 15:04:05 MST"))
}

// LockedError is returned when another process holds the lock.
type LockedError struct {
	Dir string
	// Holder is nil if the holder's record could not be read.
	Holder *Holder
}

func (e *LockedError) Error() string {
	who := "another run (its holder record is unreadable)"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("the state directory %s is locked by %s", e.Dir, who)
}

// Lock is a held lock on a state directory: an exclusive flock on a lock
// file, which the kernel releases if the process dies, and a holder record
// beside it that says who holds it.
type Lock struct {
	dir string
	fl  *flock.Flock
}

// AcquireLock takes the lock of the state directory dir at once, or fails
// with a *LockedError.
func AcquireLock(dir string, h Holder) (*Lock, error) {
	fl := flock.New(filepath.Join(dir, LockFile), flock.SetPermissions(FileMode))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if !ok {
		prev, _ := ReadHolder(dir)
		return nil, &LockedError{Dir: dir, Holder: prev}
	}
	b, _ := json.Marshal(h)
	if err := writeFileAtomic(filepath.Join(dir, HolderFile), b, false); err != nil {
		fl.Unlock()
		return nil, err
	}
	return &Lock{dir: dir, fl: fl}, nil
}

// Release removes the holder record and releases the lock.
func (l *Lock) Release() error {
	err := os.Remove(filepath.Join(l.dir, HolderFile))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if e := l.fl.Unlock(); err == nil {
		err = e
	}
	return err
}

// ReadHolder reads the holder record of a state directory; nil if there is
// none.
func ReadHolder(dir string) (*Holder, error) {
	b, err := os.ReadFile(filepath.Join(dir, HolderFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// UnlockResult says what Unlock found and did.
type UnlockResult struct {
	// Holder is the record found, if any.
	Holder *Holder
	// Held is true when a live process held the lock (only cleared with
	// force).
	Held bool
	// Cleared is true when a lock or a record was removed.
	Cleared bool
}

// ErrHolderAlive is returned by Unlock when the holder still runs.
var ErrHolderAlive = errors.New("the holder is still running")

// Unlock clears a stale lock: the holder record of a run that died, or a
// lock file whose holder is gone. It refuses, with an error wrapping
// ErrHolderAlive, when the lock is held by a process that is alive on this
// host, or by a process on another host (it cannot tell), unless force is
// set.
func Unlock(dir string, force bool) (*UnlockResult, error) {
	res := &UnlockResult{}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	res.Holder, _ = ReadHolder(dir)
	fl := flock.New(filepath.Join(dir, LockFile))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, err
	}
	if ok {
		// Nobody holds it: at most a record left behind by a crash.
		defer fl.Unlock()
		if res.Holder != nil {
			res.Cleared = true
			if err := os.Remove(filepath.Join(dir, HolderFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, err
			}
		}
		return res, nil
	}
	res.Held = true
	if !force {
		if res.Holder != nil {
			host, _ := os.Hostname()
			if res.Holder.Host == host && !alive(res.Holder.PID) {
				// The record names a dead process, yet the lock is held:
				// a child of it keeps the lock file open. Still held.
				return res, fmt.Errorf("the lock is held, although its holder PID %d is gone (a process it started may keep it open): %w", res.Holder.PID, ErrHolderAlive)
			}
		}
		return res, ErrHolderAlive
	}
	res.Cleared = true
	for _, f := range []string{HolderFile, LockFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
	}
	return res, nil
}

// HolderAlive reports whether the holder runs on this host and is alive.
// It is false for a holder on another host (this host cannot tell).
func HolderAlive(h *Holder) bool {
	host, _ := os.Hostname()
	return h != nil && strings.EqualFold(h.Host, host) && alive(h.PID)
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
