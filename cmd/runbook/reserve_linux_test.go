package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
	"github.com/runbookhq/runbook/testdata/gen"
)

// TestReportReserved: the report's page put into a state directory, its
// room reserved on the disk first (writeReserved), is the page, and keeps
// no more of the disk than its length needs, however much was reserved.
func TestReportReserved(t *testing.T) {
	generated := filepath.Join(t.TempDir(), "gen.hcl")
	if err := os.WriteFile(generated, gen.Runbook(40), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := reportOfRun(t, generated)
	var page bytes.Buffer
	if err := renderReport(&page, rep); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	sess, err := local.New(dir).Lock(context.Background(), runtime.Holder{User: "u"}, runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = putReportHTML(sess, rep)
	sess.Release()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, runtime.ReportBlob))
	if err != nil || !bytes.Equal(got, page.Bytes()) {
		t.Fatalf("the page put: %d bytes, %v; want the %d of the page rendered", len(got), err, page.Len())
	}

	// Far more reserved than written: given back.
	f, err := os.Create(filepath.Join(t.TempDir(), "page"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeReserved(f, page.Len()+4<<20, func(w io.Writer) error { _, err := w.Write(page.Bytes()); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	disk := fi.Sys().(*syscall.Stat_t).Blocks * 512
	if fi.Size() != int64(page.Len()) || disk > int64(page.Len())+64<<10 {
		t.Errorf("%d bytes written: the file has %d, %d of them on the disk", page.Len(), fi.Size(), disk)
	}
}
