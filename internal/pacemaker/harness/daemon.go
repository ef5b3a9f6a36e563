package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a daemon the harness started: in this process (cmd and done are
// set, and this process reaps it), or in another process attached to the
// same cluster, known only from its pid file.
type proc struct {
	name  string
	pid   int
	start uint64 // the process's start time, which tells it from a reused PID
	cmd   *exec.Cmd
	done  chan struct{} // closed once the process has exited and been reaped
}

func (p *proc) running() bool {
	if p == nil {
		return false
	}
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	start, state, err := procStat(p.pid)
	return err == nil && start == p.start && state != "Z" && state != "X"
}

// wait waits until p has exited, for at most timeout.
func (p *proc) wait(timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return waitCtx(ctx, p)
}

func waitCtx(ctx context.Context, p *proc) bool {
	if p == nil {
		return true
	}
	if p.done != nil {
		select {
		case <-p.done:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for p.running() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// signal signals p if it is still the process the harness started.
func (p *proc) signal(sig syscall.Signal) {
	if p.running() {
		_ = syscall.Kill(p.pid, sig)
	}
}

// daemon returns the node's daemon called name as its pid file records it,
// or nil if there is none.
func (c *Cluster) daemon(n *node, name string) *proc {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	pid, start, err := readPidFile(filepath.Join(n.dir, name+".pid"))
	if err != nil {
		return n.started[name]
	}
	if p := n.started[name]; p != nil && p.pid == pid {
		return p
	}
	return &proc{name: name, pid: pid, start: start}
}

// writePidFile records "PID STARTTIME", written aside and renamed so that a
// reader never sees it half written.
func writePidFile(path string, p *proc) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", p.pid, p.start)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readPidFile(path string) (pid int, start uint64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscan(string(data), &pid, &start); err != nil {
		return 0, 0, fmt.Errorf("pid file %s: %w", path, err)
	}
	return pid, start, nil
}

// procStat returns the start time (field 22) and the state (field 3) of a
// process from /proc/PID/stat.
func procStat(pid int) (start uint64, state string, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	return start, fields[0], err
}
