package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultPrefix names the temporary directory of a run when
// [Options.Prefix] is empty.
const DefaultPrefix = "runbook-pcmk"

// Options configure [Start].
type Options struct {
	// Prefix starts the name of this run's temporary directory and cluster
	// (Prefix-<random>), so concurrent runs never clash and
	// [CleanupLeftovers] can find a crashed run's state. Default DefaultPrefix.
	Prefix string
	// Subnet holds the first three octets of the private /24 the nodes use
	// (node i gets .1i). It exists only inside the harness's namespaces.
	// Default "10.213.0".
	Subnet string
	// Timeout bounds Start: namespaces, formation and resource placement.
	// Default 90s.
	Timeout time.Duration
	// Version is the initial version marker of every node. Default "1.0".
	Version string
	// Resources are created once the cluster has formed; Start returns when
	// each runs on its home node. See [DefaultResources].
	Resources []Resource
	// Logf, when set, receives progress lines (t.Logf fits).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Subnet == "" {
		o.Subnet = "10.213.0"
	}
	if o.Timeout <= 0 {
		o.Timeout = 90 * time.Second
	}
	if o.Version == "" {
		o.Version = "1.0"
	}
	return o
}

// NodeNames are the names of the three nodes, in node id order.
var NodeNames = []string{"n1", "n2", "n3"}

// Cluster is a running three-node cluster. Its methods are safe for use by
// one goroutine at a time, except Close, which may be called at any time and
// more than once.
type Cluster struct {
	// Name is unique to this run: the base name of Dir and the corosync
	// cluster name.
	Name string
	// Dir is the run's temporary directory; each node's files, logs and
	// daemon output are under Dir/nodes/<node>.
	Dir string

	opts  Options
	nsDir string
	nodes []*node

	// pmu guards each node's started map: a test's probe goroutine may
	// read the status while the test restarts a node.
	pmu sync.Mutex

	mu       sync.Mutex
	closed   bool
	closeErr error
}

// Start builds the namespaces and the network, starts corosync and
// pacemakerd on the three nodes, waits until all three are online with a
// DC, and creates opts.Resources. On error, everything it built is taken
// down again.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := Available(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", opts.Prefix+"-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Name: filepath.Base(dir), Dir: dir, opts: opts, nsDir: filepath.Join(dir, "ns")}
	defer func() {
		if err != nil {
			if cerr := c.Close(); cerr != nil {
				err = fmt.Errorf("%w (and while taking it down: %v)", err, cerr)
			}
		}
	}()
	if err := writeOwner(dir); err != nil {
		return nil, err
	}
	for i, name := range NodeNames {
		c.nodes = append(c.nodes, &node{
			name: name,
			id:   i + 1,
			addr: fmt.Sprintf("%s.%d", opts.Subnet, 11+i),
			dir:  filepath.Join(dir, "nodes", name),
		})
	}

	if err := c.writeMeta(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := c.writeNodeFiles(ctx); err != nil {
		return nil, fmt.Errorf("writing node files: %w", err)
	}
	if err := c.buildNamespaces(ctx); err != nil {
		return nil, fmt.Errorf("building namespaces: %w", err)
	}
	c.logf("harness: namespaces and network of %s ready in %v", c.Name, time.Since(t0).Round(time.Millisecond))

	t1 := time.Now()
	for _, n := range c.nodes {
		if err := c.startCorosync(ctx, n); err != nil {
			return nil, err
		}
	}
	for _, n := range c.nodes {
		if err := c.startPacemaker(n); err != nil {
			return nil, err
		}
	}
	if _, err := c.WaitFor(ctx, "3/3 nodes online with a DC and quorum", func(s *Status) bool {
		return len(s.OnlineNodes()) == len(NodeNames) && s.DC != "" && s.Quorum
	}); err != nil {
		return nil, err
	}
	c.logf("harness: 3/3 online with a DC in %v", time.Since(t1).Round(time.Millisecond))

	if len(opts.Resources) > 0 {
		t2 := time.Now()
		if err := c.AddResources(ctx, opts.Resources...); err != nil {
			return nil, err
		}
		if err := c.WaitHomes(ctx, opts.Resources...); err != nil {
			return nil, err
		}
		c.logf("harness: %d resources on their home nodes in %v", len(opts.Resources), time.Since(t2).Round(time.Millisecond))
	}
	return c, nil
}

// Nodes returns the node names, in node id order.
func (c *Cluster) Nodes() []string { return append([]string(nil), NodeNames...) }

// Address returns the node's address on the private network.
func (c *Cluster) Address(node string) (string, error) {
	n, err := c.node(node)
	if err != nil {
		return "", err
	}
	return n.addr, nil
}

// NodeDir returns the host-side directory of a node: its private
// /etc/corosync, /var/lib/pacemaker, logs and daemon output.
func (c *Cluster) NodeDir(node string) string { return filepath.Join(c.Dir, "nodes", node) }

// Close stops every process of the cluster (SIGKILL: the cluster is thrown
// away), unmounts the namespace files and removes Dir. It works on a
// cluster that Start left half built and may be called more than once.
func (c *Cluster) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.closeErr
	}
	c.closed = true
	var errs []error
	for _, n := range c.nodes {
		if err := c.killNode(n, 10*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if err := teardown(c.Dir); err != nil {
		errs = append(errs, err)
	}
	c.closeErr = errors.Join(errs...)
	return c.closeErr
}

func (c *Cluster) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}

func (c *Cluster) node(name string) (*node, error) {
	for _, n := range c.nodes {
		if n.name == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("harness: no node %q (nodes are %v)", name, NodeNames)
}

// metaFile, in Dir, describes the cluster for Attach.
const metaFile = "cluster.json"

type meta struct {
	Name    string     `json:"name"`
	Subnet  string     `json:"subnet"`
	Version string     `json:"version"`
	Nodes   []metaNode `json:"nodes"`
}

type metaNode struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
	Addr string `json:"addr"`
}

func (c *Cluster) writeMeta() error {
	m := meta{Name: c.Name, Subnet: c.opts.Subnet, Version: c.opts.Version}
	for _, n := range c.nodes {
		m.Nodes = append(m.Nodes, metaNode{Name: n.name, ID: n.id, Addr: n.addr})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Dir, metaFile), data, 0o644)
}

// Attach returns the running cluster whose directory is dir (Cluster.Dir),
// started by another process, so that a separate program (cmd pcmkctl) can
// stop, upgrade, start or kill its nodes. It signals only the daemons the
// harness started, found from their pid files, and the processes inside the
// cluster's namespaces. Close on an attached cluster takes the whole
// cluster down; a program that only acts on nodes does not call it.
func Attach(dir string, logf func(format string, args ...any)) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("harness: %s is not a running harness cluster: %w", dir, err)
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("harness: %s: %w", metaFile, err)
	}
	c := &Cluster{Name: m.Name, Dir: dir, nsDir: filepath.Join(dir, "ns"),
		opts: Options{Prefix: DefaultPrefix, Subnet: m.Subnet, Version: m.Version, Logf: logf}.withDefaults()}
	for _, mn := range m.Nodes {
		n := &node{name: mn.Name, id: mn.ID, addr: mn.Addr, dir: filepath.Join(dir, "nodes", mn.Name)}
		if !isNsfs(n.nsFile(c.nsDir, "net")) {
			return nil, fmt.Errorf("harness: the namespaces of %s in %s are gone: the cluster was taken down", mn.Name, dir)
		}
		c.nodes = append(c.nodes, n)
	}
	if len(c.nodes) == 0 {
		return nil, fmt.Errorf("harness: %s lists no nodes", filepath.Join(dir, metaFile))
	}
	return c, nil
}

// Inodes returns the inodes of the cluster's network namespaces (the hub's
// and each node's), by name, for Remains to check after Close.
func (c *Cluster) Inodes() map[string]uint64 { return recordedInodes(c.Dir) }

// Remains says what a closed cluster left behind, if anything: its
// directory, mounts under it, processes in its network namespaces (inodes
// from Inodes, taken before Close) or processes whose command line names
// its directory.
func Remains(dir string, inodes map[string]uint64) []string {
	var out []string
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		out = append(out, fmt.Sprintf("%s still exists (%v)", dir, err))
	}
	if mps, err := mountsUnder(dir); err != nil || len(mps) > 0 {
		out = append(out, fmt.Sprintf("mounts under %s: %v %v", dir, mps, err))
	}
	for name, ino := range inodes {
		if pids := procsInNetns(ino); len(pids) > 0 {
			out = append(out, fmt.Sprintf("processes %v in the network namespace of %s", pids, name))
		}
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		if f == fmt.Sprintf("/proc/%d/cmdline", os.Getpid()) {
			continue
		}
		data, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(data), dir) {
			out = append(out, fmt.Sprintf("%s names %s: %q", f, dir, strings.ReplaceAll(string(data), "\x00", " ")))
		}
	}
	return out
}
