package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// copiedBlobs and copiedStreams are what CopyState copies besides the
// journal and what the drivers keep.
var (
	copiedBlobs   = []string{SnapshotBlob, ReportBlob}
	copiedStreams = []string{RunLog}
)

// ErrTargetHolds is wrapped by CopyState's error when the target already
// holds a run's journal.
var ErrTargetHolds = errors.New("the target already holds a run")

// CopyState copies the state of src into dst (runbook state push and
// pull): the journal, the snapshot, the run's log and the report, and the
// blobs and streams the drivers keep there (the simulator's cluster, the
// exec driver's log), named by blobs and streams. It holds both locks
// while it copies, and refuses when dst already has a journal.
func CopyState(src, dst Store, holder Holder, blobs, streams []string) error {
	ctx := context.Background()
	from, err := src.Lock(ctx, holder, LockOptions{})
	if err != nil {
		return err
	}
	defer from.Release()
	to, err := dst.Lock(ctx, holder, LockOptions{Durable: true})
	if err != nil {
		return err
	}
	defer to.Release()
	have, err := to.Journal()
	if err != nil {
		return err
	}
	if len(have) > 0 {
		return fmt.Errorf("%s: %w (%d journal records); it is not overwritten", dst.Where(""), ErrTargetHolds, len(have))
	}
	entries, err := from.Journal()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("%s holds no journal: nothing to copy", src.Where(""))
	}
	// In writes of at most 256 KiB.
	for i := 0; i < len(entries); {
		j, size := i, 0
		for j < len(entries) && (j == i || size+len(entries[j]) < 256<<10) {
			size += len(entries[j]) + 1
			j++
		}
		if err := to.Append(entries[i:j]...); err != nil {
			return err
		}
		i = j
	}
	for _, name := range append(copiedBlobs[:len(copiedBlobs):len(copiedBlobs)], blobs...) {
		b, err := from.Get(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := to.Put(name, b); err != nil {
			return err
		}
	}
	for _, name := range append(copiedStreams[:len(copiedStreams):len(copiedStreams)], streams...) {
		b, err := from.Get(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		w, err := to.Stream(name)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}
