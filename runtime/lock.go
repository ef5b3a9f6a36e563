package runtime

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"syscall"
	"time"
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
	// Dir is where the store is (Store.Where("")).
	Dir string
	// Holder is nil if the holder's record could not be read.
	Holder *Holder
}

func (e *LockedError) Error() string {
	who := "another run (its holder record is unreadable)"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("the state in %s is locked by %s", e.Dir, who)
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

// Unlock clears a stale lock of store: the holder record of a run that
// died, or a lock whose holder is gone. It refuses, with an error wrapping
// ErrHolderAlive, when the lock is held by a process that is alive on this
// host, or by a process on another host (it cannot tell), unless force is
// set.
func Unlock(store Store, force bool) (*UnlockResult, error) {
	return store.Unlock(force)
}

// HolderAlive reports whether the holder runs on this host and is alive.
// It is false for a holder on another host (this host cannot tell).
func HolderAlive(h *Holder) bool {
	return OnThisHost(h) && alive(h.PID)
}

// OnThisHost reports whether the holder runs on this host.
func OnThisHost(h *Holder) bool {
	host, _ := os.Hostname()
	return h != nil && strings.EqualFold(h.Host, host)
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
