package runtime_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// checkModes fails for any file of dir readable by others than its owner.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := runtime.FileMode
		if d.IsDir() {
			want = runtime.DirMode
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v; want %v", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStateModes: a new state directory is its owner's alone, and opening
// an existing one restricts it and its files (left by an older version).
func TestStateModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), ".runbook", "r")
	st, err := runtime.OpenState(dir, runtime.CurrentHolder("runbook run r.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(runtime.Record{Type: runtime.RecordRun, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	checkModes(t, filepath.Dir(dir))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	for _, f := range []string{runtime.JournalFile, runtime.LockFile, runtime.ExecLogFile} {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err = runtime.OpenState(dir, runtime.CurrentHolder("runbook run r.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkModes(t, dir)
}
