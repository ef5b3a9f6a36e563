package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Store keeps what runs leave behind: the journal, the snapshot of the
// cluster taken before the first step, the lock and who holds it, and named
// blobs and streams (the simulator's cluster, the exec driver's log, the
// run's output, the report). A state directory is the first kind of store
// (package stores/local); each kind is one package, found through the
// StoreKinds that the command line hands down.
//
// What a run writes goes through the Session that Lock returns, and only
// while it holds the lock: a store whose lock is a lease (a shared store)
// conditions each write on still holding it, and fails the write with an
// error wrapping ErrLockLost once it does not. What status, plan and report
// read needs no lock.
type Store interface {
	// Where names the store in messages; Where(name) names one of its
	// blobs or streams (a file's path, a key).
	Where(name string) string
	// Lock takes the store's lock for holder at once, or fails with a
	// *LockedError that says who holds it.
	Lock(ctx context.Context, holder Holder, opts LockOptions) (Session, error)
	// Journal returns the journal's entries, oldest first (none when there
	// is no journal yet). A torn last entry, the trace of a crash in the
	// middle of a write, is not returned.
	Journal() ([][]byte, error)
	// Get returns a blob; an error wrapping fs.ErrNotExist if it is absent.
	Get(name string) ([]byte, error)
	// Put replaces a blob that no run writes (a report made without a
	// run), as one atomic write.
	Put(name string, data []byte) error
	// Holder returns who holds the lock, as recorded when it was taken;
	// nil if nobody is recorded.
	Holder() (*Holder, error)
	// Unlock clears a stale lock, as runtime.Unlock describes.
	Unlock(force bool) (*UnlockResult, error)
}

// DefaultLockTTL is the lease of a run's lock (LockOptions.TTL) when none
// is given: how long after its holder's last sign of life another run may
// take it. The command line's --lock-ttl defaults to it.
const DefaultLockTTL = 15 * time.Second

// LockOptions are a session's.
type LockOptions struct {
	// Durable makes every write reach stable storage before it returns
	// (fsync): it protects a real cluster's journal against a power loss.
	Durable bool
	// WriteBehind lets the session hold its writes (the journal's, its
	// streams') in memory a moment and write them together, in the order
	// they were made; a read of the store, a blob's replacement and the
	// session's end write them first. A crash loses what was held: the
	// last writes, of the journal and of every stream alike, never a write
	// without the ones made before it. Only for a run whose driver keeps
	// its cluster in the same session's streams (the simulator), so that
	// an operation's effect is never written before its intent; a store
	// may ignore it, and Durable overrides it.
	WriteBehind bool
	// TTL is how long a lock that is a lease (a shared store's) outlives
	// its holder's last renewal: the lock of a holder that died is free
	// after it. 0 is DefaultLockTTL; a lock that the kernel releases with
	// its process has no use for it.
	TTL time.Duration
	// Wait bounds how long Lock waits for a lock that another run holds to
	// be released, or its lease to expire; 0 fails at once.
	Wait time.Duration
	// Waiting, if set, is told whom Lock waits for and how long the
	// holder's lease has left, when the wait starts and now and then.
	Waiting func(holder *Holder, left time.Duration)
}

// Session is a held lock on a store, and the writes made under it.
type Session interface {
	// Where names a blob or stream as Store.Where does.
	Where(name string) string
	// Journal returns the journal's entries as Store.Journal does, read
	// under the lock.
	Journal() ([][]byte, error)
	// Append adds entries to the journal in one write: a crash keeps all
	// of them, or loses at most the last, torn.
	Append(entries ...[]byte) error
	// Get reads a blob as Store.Get does.
	Get(name string) ([]byte, error)
	// Put replaces a blob as one atomic write.
	Put(name string, data []byte) error
	// Stream opens a named stream for appending; each Write appends.
	Stream(name string) (io.WriteCloser, error)
	// Release releases the lock.
	Release() error
}

// BlobWriter is implemented by a store or session that can replace a blob
// with what write writes, as one atomic replacement like Put, without the
// whole blob in memory: a large report page is written as it is made.
type BlobWriter interface {
	PutWith(name string, write func(io.Writer) error) error
}

// PutBlob replaces the blob name of a store or session by what write
// writes: through PutWith when it has one, else in one Put.
func PutBlob(to interface{ Put(string, []byte) error }, name string, sizeHint int, write func(io.Writer) error) error {
	if bw, ok := to.(BlobWriter); ok {
		return bw.PutWith(name, write)
	}
	var b bytes.Buffer
	b.Grow(sizeHint)
	if err := write(&b); err != nil {
		return err
	}
	return to.Put(name, b.Bytes())
}

// LocalDir is implemented by a session whose store is a directory on this
// machine: where a run's commands may leave files of their own (the exec
// driver's marks that a command ran). With another store they go to the
// system's temporary directory.
type LocalDir interface {
	LocalDir() string
}

// OpBracket is implemented by a session that may hold writes back
// (LockOptions.WriteBehind): the run calls BeginOp before it journals an
// operation's intent and EndOp once it has journaled its outcome, so that
// what the session writes of its own accord in between (a moment after a
// write, or when much is held) stops short of that intent. A kill then
// never leaves an intent on disk without the effect that the operation
// wrote to the session's streams (the simulator's cluster) and its
// outcome. A flush the run asks for (State.Flush, a read, a blob's
// replacement, the end) still writes everything.
type OpBracket interface {
	BeginOp()
	EndOp()
}

// LineAppender is implemented by a session that can take journal entries
// encoded straight into its own buffer: AppendLines appends to the journal
// what f.FillLines appends to the buffer it is given, whole lines each
// ended by a newline, as Append would with the same lines; when FillLines
// fails, nothing is appended. FillLines is called once, with the
// session's lock held.
type LineAppender interface {
	AppendLines(f LineFiller) error
}

// LineFiller appends journal entries to b, each ended by a newline.
type LineFiller interface {
	FillLines(b []byte) ([]byte, error)
}

// ScratchDir is the session's LocalDir, or "" for the system's temporary
// directory.
func ScratchDir(sess Session) string {
	if d, ok := sess.(LocalDir); ok {
		return d.LocalDir()
	}
	return ""
}

// ErrLockLost is wrapped by a Session's writes once the lock is no longer
// held (a lease expired): nothing more is written.
var ErrLockLost = errors.New("the state's lock was lost")

// Names of what a store keeps besides the journal and the lock.
const (
	SnapshotBlob = "snapshot.json"
	// RunLog is the stream of a run's output.
	RunLog = "run.log"
	// ReportBlob is the run's report page.
	ReportBlob = "report.html"
)

// StoreOpener opens the store at ref, a reference the operator gave
// (--state).
type StoreOpener func(ref string) (Store, error)

// StoreKinds finds a store by the scheme of its reference: "etcd://..."
// opens the kind registered as "etcd"; a reference with no scheme (a plain
// path) opens Default.
type StoreKinds struct {
	Default StoreOpener
	Schemes map[string]StoreOpener
	// Blocks are the kinds a runbook may name in a state "KIND" { ... }
	// block, by kind.
	Blocks map[string]StoreBlock
}

// StoreBlock is what a runbook's state "KIND" { ... } block may say for
// one kind of store, and how to open the store it describes.
type StoreBlock struct {
	// Settings are the block's attributes.
	Settings []StoreSetting
	// Open opens the store the block's settings describe (by name, each
	// a list of one value unless its setting is a List; file paths already
	// resolved). suffix is added to the store's name: "@sim" keeps a
	// rehearsal's state apart from the real run's.
	Open func(settings map[string][]string, suffix string) (Store, error)
}

// StoreSetting is one attribute of a state block: a string, or a list of
// strings.
type StoreSetting struct {
	Name     string
	List     bool
	Required bool
	// File marks a path: a relative one is taken from the runbook's
	// directory.
	File bool
	// Doc says what the setting is, for messages.
	Doc string
}

// BlockSettings returns the settings of each kind of state block: the
// data lang needs to check a runbook's state block.
func (k StoreKinds) BlockSettings() map[string][]StoreSetting {
	out := make(map[string][]StoreSetting, len(k.Blocks))
	for kind, b := range k.Blocks {
		out[kind] = b.Settings
	}
	return out
}

// Open opens the store that ref names.
func (k StoreKinds) Open(ref string) (Store, error) {
	if scheme, _, ok := strings.Cut(ref, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, `/\`) {
		open, found := k.Schemes[scheme]
		if !found {
			return nil, fmt.Errorf("--state %s: no kind of state store has the scheme %q (known: %s)", ref, scheme, strings.Join(slices.Sorted(maps.Keys(k.Schemes)), ", "))
		}
		return open(ref)
	}
	if k.Default == nil {
		return nil, fmt.Errorf("--state %s: no default state store", ref)
	}
	return k.Default(ref)
}
