package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The namespace files of a run live in Dir/ns, a private bind mount of
// itself: a mount namespace file may only be bound on a mount that does not
// propagate, or the namespace could end up holding a reference to itself.
//
//	Dir/ns/hub.net            the bridge's network namespace
//	Dir/ns/<node>.{net,mnt,uts}

// bindDirs maps a node's host-side folders to where they are mounted inside
// the node.
var bindDirs = []struct{ host, node string }{
	{"etc-corosync", "/etc/corosync"},
	{"lib-corosync", "/var/lib/corosync"},
	{"lib-pacemaker", "/var/lib/pacemaker"},
	{"log-pacemaker", "/var/log/pacemaker"},
	{"log-corosync", "/var/log/corosync"},
	{"run", "/run"},
}

func (c *Cluster) buildNamespaces(ctx context.Context) error {
	if err := os.MkdirAll(c.nsDir, 0o700); err != nil {
		return err
	}
	if err := syscall.Mount(c.nsDir, c.nsDir, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mounting %s: %w", c.nsDir, err)
	}
	if err := syscall.Mount("", c.nsDir, "", syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making %s private: %w", c.nsDir, err)
	}

	hub := filepath.Join(c.nsDir, "hub.net")
	if err := touch(hub); err != nil {
		return err
	}
	if _, err := run(ctx, nil, "unshare", "--net="+hub, "--", "true"); err != nil {
		return err
	}
	if err := c.recordNamespace("hub", hub); err != nil {
		return err
	}
	hubSh := func(script string) error {
		_, err := run(ctx, nil, "nsenter", "--net="+hub, "--", "/bin/sh", "-ec", script)
		return err
	}
	if err := hubSh("ip link set lo up; ip link add br0 type bridge; ip link set br0 up"); err != nil {
		return fmt.Errorf("hub bridge: %w", err)
	}

	for _, n := range c.nodes {
		for _, kind := range []string{"net", "mnt", "uts"} {
			if err := touch(n.nsFile(c.nsDir, kind)); err != nil {
				return err
			}
		}
		var script strings.Builder
		script.WriteString("set -e\n")
		// Drop this namespace's copies of the earlier nodes' namespace
		// files, so no node's namespace keeps another's alive.
		fmt.Fprintf(&script, "umount -l %s\n", c.nsDir)
		for _, b := range bindDirs {
			fmt.Fprintf(&script, "mount --bind %s %s\n", filepath.Join(n.dir, b.host), b.node)
		}
		fmt.Fprintf(&script, "mount --bind %s /etc/hosts\n", filepath.Join(n.dir, "hosts"))
		script.WriteString("mount -t tmpfs -o mode=1777,size=256m tmpfs /dev/shm\n")
		script.WriteString("mount -t sysfs -o nosuid,nodev,noexec sysfs /sys\n")
		fmt.Fprintf(&script, "hostname %s\n", n.name)
		script.WriteString("ip link set lo up\n")
		if _, err := run(ctx, nil, "unshare",
			"--net="+n.nsFile(c.nsDir, "net"),
			"--mount="+n.nsFile(c.nsDir, "mnt"),
			"--uts="+n.nsFile(c.nsDir, "uts"),
			"--propagation", "private",
			"--", "/bin/sh", "-c", script.String()); err != nil {
			return fmt.Errorf("namespaces of %s: %w", n.name, err)
		}
		if err := c.recordNamespace(n.name, n.nsFile(c.nsDir, "net")); err != nil {
			return err
		}
		veth := "v" + n.name
		if err := hubSh(fmt.Sprintf("ip link add %s type veth peer name eth0 netns %s; ip link set %s master br0 up",
			veth, n.nsFile(c.nsDir, "net"), veth)); err != nil {
			return fmt.Errorf("veth of %s: %w", n.name, err)
		}
		if _, err := c.exec(ctx, n, "/bin/sh", "-ec",
			fmt.Sprintf("ip addr add %s/24 dev eth0; ip link set eth0 up", n.addr)); err != nil {
			return fmt.Errorf("address of %s: %w", n.name, err)
		}
	}
	return nil
}

// recordNamespace appends a network namespace's inode to Dir/ns-inodes, so
// that a cleanup can still find the processes inside it if the namespace
// file is gone.
func (c *Cluster) recordNamespace(name, file string) error {
	ino, err := nsInode(file)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "ns-inodes"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %d\n", name, ino)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func touch(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o400)
	if err != nil {
		return err
	}
	return f.Close()
}

// nsInode returns the inode of a namespace file (or /proc/PID/ns/X link).
func nsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// procsInNetns returns the live processes whose network namespace has inode
// ino. Zombies have none and are not listed.
func procsInNetns(ino uint64) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if got, err := nsInode(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil && got == ino {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killNetns sends SIGKILL to every process in the network namespace with
// inode ino until none is left or timeout passes.
func killNetns(ino uint64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pids := procsInNetns(ino)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v in network namespace %d survive SIGKILL", pids, ino)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordedInodes reads Dir/ns-inodes.
func recordedInodes(dir string) map[string]uint64 {
	data, err := os.ReadFile(filepath.Join(dir, "ns-inodes"))
	m := map[string]uint64{}
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if ino, err := strconv.ParseUint(v, 10, 64); err == nil {
			m[name] = ino
		}
	}
	return m
}

// mountsUnder returns the mount points in this mount namespace at or under
// dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	return mps, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// teardown kills every process left in the run's namespaces, unmounts
// everything under dir and removes it. It is what Close and
// CleanupLeftovers share, and it works on any partial state.
func teardown(dir string) error {
	var errs []string
	inodes := recordedInodes(dir)
	// Namespace files still mounted are the most reliable handle.
	if files, _ := filepath.Glob(filepath.Join(dir, "ns", "*.net")); len(files) > 0 {
		for _, f := range files {
			if ino, err := nsInode(f); err == nil && isNsfs(f) {
				inodes[strings.TrimSuffix(filepath.Base(f), ".net")] = ino
			}
		}
	}
	for name, ino := range inodes {
		if err := killNetns(ino, 10*time.Second); err != nil {
			errs = append(errs, name+": "+err.Error())
		}
	}
	mps, err := mountsUnder(dir)
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, mp := range mps {
		if err := syscall.Unmount(mp, 0); err != nil {
			if err2 := syscall.Unmount(mp, syscall.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Sprintf("unmount %s: %v", mp, err2))
			}
		}
	}
	if left, _ := mountsUnder(dir); len(left) > 0 {
		errs = append(errs, fmt.Sprintf("still mounted: %v", left))
	} else if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("harness: taking down %s: %s", dir, strings.Join(errs, "; "))
	}
	return nil
}

// isNsfs says whether path is a mounted namespace file rather than the empty
// file it is bound on.
func isNsfs(path string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return false
	}
	const nsfsMagic = 0x6e736673
	return st.Type == nsfsMagic
}

// run runs argv on the host (not inside a node) and returns its stdout; an
// error carries the command's stderr.
func run(ctx context.Context, env []string, argv ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, msg)
	}
	return stdout.Bytes(), nil
}
