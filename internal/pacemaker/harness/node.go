package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// VersionFile is where a node's version marker is seen inside the node.
const VersionFile = "/var/lib/pacemaker/runbook-version"

type node struct {
	name string
	id   int
	addr string
	dir  string // host side: Dir/nodes/<name>

	// started holds the daemons this process started, by name. The pid
	// files in dir are the truth: another process attached to the cluster
	// (cmd pcmkctl) may have restarted a daemon since.
	started map[string]*proc
}

func (n *node) nsFile(nsDir, kind string) string {
	return filepath.Join(nsDir, n.name+"."+kind)
}

// Prefix returns the argv prefix that runs a command inside node: its
// network, mount and UTS namespaces together, as the Pacemaker tools need.
func (c *Cluster) Prefix(node string) []string {
	ns := filepath.Join(c.nsDir, node)
	return []string{"nsenter", "--net=" + ns + ".net", "--mount=" + ns + ".mnt", "--uts=" + ns + ".uts", "--"}
}

// Exec runs argv inside node and returns its standard output. A non-zero
// exit is an error that carries the command's standard error.
func (c *Cluster) Exec(ctx context.Context, node string, argv ...string) ([]byte, error) {
	n, err := c.node(node)
	if err != nil {
		return nil, err
	}
	return c.exec(ctx, n, argv...)
}

func (c *Cluster) exec(ctx context.Context, n *node, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("harness: Exec needs a command")
	}
	out, err := run(ctx, nil, append(c.Prefix(n.name), argv...)...)
	if err != nil {
		return out, fmt.Errorf("on %s: %w", n.name, err)
	}
	return out, nil
}

// Running says whether the harness has the node's pacemakerd running.
func (c *Cluster) Running(node string) bool {
	n, err := c.node(node)
	return err == nil && c.daemon(n, "pacemakerd").running()
}

// SetVersion writes the node's version marker (VersionFile inside the
// node). A rolling upgrade of a node is StopNode, SetVersion, StartNode.
func (c *Cluster) SetVersion(node, version string) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(n.dir, "lib-pacemaker", "runbook-version"), []byte(version+"\n"), 0o644)
}

// Version reads the node's version marker.
func (c *Cluster) Version(node string) (string, error) {
	n, err := c.node(node)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(n.dir, "lib-pacemaker", "runbook-version"))
	return strings.TrimSpace(string(data)), err
}

// StartNode boots a stopped or killed node: its /run and /dev/shm start
// empty, as after a reboot; corosync, then pacemakerd, are started; and
// StartNode returns once the cluster sees the node online.
func (c *Cluster) StartNode(ctx context.Context, node string) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	if c.daemon(n, "corosync").running() || c.daemon(n, "pacemakerd").running() {
		return fmt.Errorf("harness: %s is already running", node)
	}
	if err := c.startCorosync(ctx, n); err != nil {
		return err
	}
	if err := c.startPacemaker(n); err != nil {
		return err
	}
	_, err = c.WaitFor(ctx, node+" online", func(s *Status) bool {
		ns := s.Node(node)
		return ns != nil && ns.Online && s.DC != ""
	})
	return err
}

// StopNode stops a node gracefully: SIGTERM to its pacemakerd (the cluster
// moves its resources away first), then corosync-cfgtool -H --force, then
// its libqb files in /dev/shm are removed. If the node does not stop
// within ctx, it is killed and the error says so.
func (c *Cluster) StopNode(ctx context.Context, node string) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	pcmk, coro := c.daemon(n, "pacemakerd"), c.daemon(n, "corosync")
	if !pcmk.running() && !coro.running() {
		return fmt.Errorf("harness: %s is not running", node)
	}
	pcmk.signal(syscall.SIGTERM)
	if !waitCtx(ctx, pcmk) {
		_ = c.killNode(n, 10*time.Second)
		return fmt.Errorf("harness: pacemakerd of %s did not stop: %w (node killed)", node, ctx.Err())
	}
	if coro.running() {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := c.exec(cctx, n, "corosync-cfgtool", "-H", "--force")
		if err == nil && !waitCtx(cctx, coro) {
			err = errors.New("corosync did not exit")
		}
		cancel()
		if err != nil {
			_ = c.killNode(n, 10*time.Second)
			return fmt.Errorf("harness: stopping corosync of %s: %w (node killed)", node, err)
		}
	}
	// Anything a daemon left behind (there should be nothing).
	if ino, err := nsInode(n.nsFile(c.nsDir, "net")); err == nil {
		if pids := procsInNetns(ino); len(pids) > 0 {
			c.logf("harness: %s: killing processes left after stop: %v", node, pids)
			_ = killNetns(ino, 10*time.Second)
		}
	}
	_, err = c.exec(ctx, n, "/bin/sh", "-c", "rm -f /dev/shm/qb-*")
	return err
}

// KillNode simulates a power loss: SIGKILL to the node's corosync and
// pacemakerd, then to whatever else still runs in the node (pacemakerd's
// subdaemons). It returns once no process is left in the node.
func (c *Cluster) KillNode(ctx context.Context, node string) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	return c.killNode(n, timeout)
}

func (c *Cluster) killNode(n *node, timeout time.Duration) error {
	coro, pcmk := c.daemon(n, "corosync"), c.daemon(n, "pacemakerd")
	coro.signal(syscall.SIGKILL)
	pcmk.signal(syscall.SIGKILL)
	var errs []error
	if ino, err := nsInode(n.nsFile(c.nsDir, "net")); err == nil && isNsfs(n.nsFile(c.nsDir, "net")) {
		if err := killNetns(ino, timeout); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range []*proc{coro, pcmk} {
		if !p.wait(timeout) {
			errs = append(errs, fmt.Errorf("%s of %s did not exit", p.name, n.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("harness: killing %s: %w", n.name, err)
	}
	return nil
}

// startCorosync resets the node's /run and /dev/shm, starts corosync -f
// and waits until it answers on its IPC.
func (c *Cluster) startCorosync(ctx context.Context, n *node) error {
	if err := resetRun(n); err != nil {
		return err
	}
	if _, err := c.exec(ctx, n, "/bin/sh", "-c", "rm -rf /dev/shm/* /dev/shm/.[!.]*"); err != nil {
		return err
	}
	p, err := c.spawn(n, "corosync", nil, "corosync", "-f")
	if err != nil {
		return err
	}
	for {
		if !p.running() {
			return fmt.Errorf("harness: corosync of %s exited at start: %s", n.name, c.tail(n, "corosync.out"))
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.exec(cctx, n, "corosync-cmapctl", "-g", "totem.cluster_name")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: corosync of %s not answering: %w (%v)", n.name, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) startPacemaker(n *node) error {
	_, err := c.spawn(n, "pacemakerd", []string{
		"PCMK_logfile=/var/log/pacemaker/pacemaker.log",
		"PCMK_logfacility=none",
	}, "pacemakerd")
	return err
}

// spawn starts a daemon inside node in its own session, with its output
// in NodeDir/<name>.out and its PID in NodeDir/<name>.pid.
func (c *Cluster) spawn(n *node, name string, env []string, argv ...string) (*proc, error) {
	out, err := os.OpenFile(filepath.Join(n.dir, name+".out"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	full := append(c.Prefix(n.name), argv...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: starting %s on %s: %w", name, n.name, err)
	}
	p := &proc{name: name, pid: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	p.start, _ = procStartTime(p.pid)
	c.pmu.Lock()
	if n.started == nil {
		n.started = map[string]*proc{}
	}
	n.started[name] = p
	c.pmu.Unlock()
	pid := strconv.Itoa(p.pid)
	if err := writePidFile(filepath.Join(n.dir, name+".pid"), p); err != nil {
		return p, err
	}
	c.logf("harness: %s: started %s (pid %s)", n.name, name, pid)
	return p, nil
}

// tail returns the end of one of the node's host-side files, for errors.
func (c *Cluster) tail(n *node, rel string) string {
	data, _ := os.ReadFile(filepath.Join(n.dir, rel))
	if len(data) > 1500 {
		data = data[len(data)-1500:]
	}
	return strings.TrimSpace(string(data))
}

// resetRun empties the node's /run, as a reboot does, and recreates what
// the daemons and agents expect there. A killed node's ocf:pacemaker:Dummy
// state files would otherwise make its resources look active on two nodes
// when it rejoins.
func resetRun(n *node) error {
	dir := filepath.Join(n.dir, "run")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return mkdirs(dir, []dirSpec{
		{"resource-agents", 0o755 | os.ModeSticky, false},
		{"crm", 0o750, true},
		{"lock", 0o777 | os.ModeSticky, false},
	})
}

type dirSpec struct {
	rel       string
	mode      os.FileMode
	hacluster bool // owned by hacluster:haclient rather than root
}

func mkdirs(base string, specs []dirSpec) error {
	uid, gid, err := haclusterIDs()
	if err != nil {
		return err
	}
	for _, d := range specs {
		p := filepath.Join(base, d.rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return err
		}
		if d.hacluster {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	return nil
}

func haclusterIDs() (uid, gid int, err error) {
	u, err := user.Lookup("hacluster")
	if err != nil {
		return 0, 0, err
	}
	g, err := user.LookupGroup("haclient")
	if err != nil {
		return 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(g.Gid)
	return uid, gid, nil
}

// writeNodeFiles lays out each node's host-side folders: corosync.conf,
// /etc/hosts, the pre-seeded CIB and the version marker.
func (c *Cluster) writeNodeFiles(ctx context.Context) error {
	seed, err := c.seedCIB(ctx)
	if err != nil {
		return fmt.Errorf("seeding the CIB: %w", err)
	}
	uid, gid, err := haclusterIDs()
	if err != nil {
		return err
	}
	var hosts strings.Builder
	hosts.WriteString("127.0.0.1\tlocalhost\n")
	for _, n := range c.nodes {
		fmt.Fprintf(&hosts, "%s\t%s\n", n.addr, n.name)
	}
	conf := c.corosyncConf()
	for _, n := range c.nodes {
		if err := mkdirs(n.dir, []dirSpec{
			{"etc-corosync", 0o755, false},
			{"lib-corosync", 0o755, false},
			{"lib-pacemaker", 0o755, false},
			{"lib-pacemaker/cib", 0o750, true},
			{"lib-pacemaker/pengine", 0o750, true},
			{"lib-pacemaker/blackbox", 0o750, true},
			{"lib-pacemaker/cores", 0o750, true},
			{"log-pacemaker", 0o770, true},
			{"log-pacemaker/bundles", 0o770, true},
			{"log-corosync", 0o755, false},
			{"run", 0o755, false},
		}); err != nil {
			return err
		}
		if err := resetRun(n); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.dir, "etc-corosync", "corosync.conf"), []byte(conf), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.dir, "hosts"), []byte(hosts.String()), 0o644); err != nil {
			return err
		}
		cib := filepath.Join(n.dir, "lib-pacemaker", "cib", "cib.xml")
		if err := os.WriteFile(cib, seed, 0o600); err != nil {
			return err
		}
		if err := os.Chown(cib, uid, gid); err != nil {
			return err
		}
		if err := c.SetVersion(n.name, c.opts.Version); err != nil {
			return err
		}
	}
	return nil
}

// seedCIB returns an empty CIB with fencing off and a short DC dead time,
// which cuts the first formation from about 23 s to about 5 s.
func (c *Cluster) seedCIB(ctx context.Context) ([]byte, error) {
	empty, err := run(ctx, nil, "cibadmin", "--empty")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(c.Dir, "cib-seed.xml")
	if err := os.WriteFile(file, empty, 0o600); err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{"stonith-enabled", "false"}, {"dc-deadtime", "2s"}} {
		if _, err := run(ctx, []string{"CIB_file=" + file},
			"crm_attribute", "--type", "crm_config", "--name", kv[0], "--update", kv[1]); err != nil {
			return nil, err
		}
	}
	return os.ReadFile(file)
}

func (c *Cluster) corosyncConf() string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by the runbook Pacemaker test harness.
totem {
	version: 2
	cluster_name: %s
	transport: knet
	token: 1000
	crypto_cipher: none
	crypto_hash: none
}

nodelist {
`, c.Name)
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "\tnode {\n\t\tname: %s\n\t\tnodeid: %d\n\t\tring0_addr: %s\n\t}\n", n.name, n.id, n.addr)
	}
	b.WriteString(`}

quorum {
	provider: corosync_votequorum
	expected_votes: 3
}

logging {
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	to_syslog: no
	to_stderr: no
	timestamp: on
}

system {
	sched_rr: no
	move_to_root_cgroup: no
}
`)
	return b.String()
}

// LogTail returns the last lines of the node's Pacemaker and Corosync logs
// and daemon output, for a failing test to print.
func (c *Cluster) LogTail(node string, lines int) string {
	var b strings.Builder
	for _, rel := range []string{"log-corosync/corosync.log", "log-pacemaker/pacemaker.log", "corosync.out", "pacemakerd.out"} {
		data, err := os.ReadFile(filepath.Join(c.NodeDir(node), rel))
		if err != nil || len(data) == 0 {
			continue
		}
		all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(all) > lines {
			all = all[len(all)-lines:]
		}
		fmt.Fprintf(&b, "==> %s: %s <==\n%s\n", node, rel, strings.Join(all, "\n"))
	}
	return b.String()
}
