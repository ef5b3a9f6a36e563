package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binaries the harness runs, on the host or inside the nodes.
var binaries = []string{
	"unshare", "nsenter", "ip", "corosync", "pacemakerd", "corosync-cfgtool",
	"corosync-cmapctl", "crm_mon", "crm_attribute", "crm_resource", "cibadmin",
}

// dummyAgent is the resource agent the harness's resources use.
const dummyAgent = "/usr/lib/ocf/resource.d/pacemaker/Dummy"

// Available says why a cluster cannot be started on this machine, or
// returns nil: root, the binaries, the Dummy agent, the hacluster user and
// the kernel's support for network namespaces, bridges and veth pairs.
func Available() error {
	var missing []string
	if os.Geteuid() != 0 {
		return errors.New("harness: needs root (namespaces, mounts, corosync)")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("harness: no namespace support in /proc: %w", err)
	}
	for _, b := range binaries {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if _, err := os.Stat(dummyAgent); err != nil {
		missing = append(missing, dummyAgent)
	}
	if len(missing) > 0 {
		return fmt.Errorf("harness: missing %s; run .ci/install-pacemaker", strings.Join(missing, ", "))
	}
	if _, _, err := haclusterIDs(); err != nil {
		return fmt.Errorf("harness: no hacluster user or haclient group (%v); run .ci/install-pacemaker", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := run(ctx, nil, "unshare", "--net", "--mount", "--uts", "--propagation", "private", "--",
		"/bin/sh", "-ec", "ip link add b0 type bridge; ip link add v0 type veth peer name v1; mount -t tmpfs tmpfs /mnt"); err != nil {
		return fmt.Errorf("harness: cannot create namespaces, a bridge or a veth pair: %w", err)
	}
	return nil
}

// Require skips the test when Available fails, loudly, or fails it when the
// environment variable CI is "true": CI must run the end-to-end tests.
//
// It then takes the machine-wide live-cluster lock (LockFile) for the rest
// of the test, waiting for it if need be: go test runs packages in
// parallel, and two live clusters at once overload a 2-core machine and
// make each other's timings meaningless. Call it before starting the
// test's clocks.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and the Pacemaker harness cannot run: %v", err)
		}
		t.Skipf("SKIPPING the real-cluster test: %v", err)
	}
	unlock, err := lockExclusive(t)
	if err != nil {
		t.Fatalf("harness: taking %s: %v", LockFile(), err)
	}
	t.Cleanup(unlock)
}

// LockFile is the file whose flock(2) serializes the live-cluster tests of
// every package on this machine.
func LockFile() string { return filepath.Join(os.TempDir(), "runbook-pcmk-harness.lock") }

func lockExclusive(t testing.TB) (func(), error) {
	f, err := os.OpenFile(LockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if !logged {
			t.Logf("harness: another live-cluster test holds %s; waiting for it", LockFile())
			logged = true
		}
		time.Sleep(250 * time.Millisecond)
	}
	if logged {
		t.Logf("harness: took %s after %v", LockFile(), time.Since(t0).Round(time.Millisecond))
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// ownerFile holds "PID STARTTIME" of the process that started a run, so
// that CleanupLeftovers leaves live runs alone.
const ownerFile = "owner"

func writeOwner(dir string) error {
	st, err := procStartTime(os.Getpid())
	if err != nil {
		return err
	}
	// Written aside and renamed, so that a concurrent CleanupLeftovers never
	// reads it half written and takes a live run for a dead one.
	tmp := filepath.Join(dir, ownerFile+".tmp")
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", os.Getpid(), st)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ownerFile))
}

// procStartTime returns the start time of a process (field 22 of
// /proc/PID/stat), which tells a live owner from a reused PID.
func procStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// ownerAlive says whether the process that started the run in dir is still
// running.
func ownerAlive(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return false
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscan(string(data), &pid, &start); err != nil {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	got, err := procStartTime(pid)
	return err == nil && got == start
}

// CleanupLeftovers takes down what crashed runs with this prefix left
// behind: processes in their namespaces, mounts and temporary directories.
// Runs whose owner process is still alive (another test binary, or this
// one) are left alone. It returns the directories it removed.
func CleanupLeftovers(prefix string) ([]string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "/*?[") {
		return nil, fmt.Errorf("harness: bad prefix %q", prefix)
	}
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), prefix+"-*"))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, d := range dirs {
		if fi, err := os.Lstat(d); err != nil || !fi.IsDir() {
			continue
		}
		// Only directories that are a harness run: they have an owner file
		// or namespace files.
		if _, err := os.Stat(filepath.Join(d, ownerFile)); err != nil {
			if _, err := os.Stat(filepath.Join(d, "ns")); err != nil {
				continue
			}
		}
		if ownerAlive(d) {
			continue
		}
		if err := teardown(d); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, d)
	}
	return removed, errors.Join(errs...)
}
