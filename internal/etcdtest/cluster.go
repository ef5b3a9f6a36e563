package etcdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Size is the number of members of a cluster.
const Size = 3

// Options of a cluster.
type Options struct {
	// TLS serves clients over TLS, and asks them for a certificate signed
	// by the cluster's CA (Cluster.TLS).
	TLS bool
}

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	tls     *Certs
	members [Size]*member
	// rootPassword is set once EnableAuth turned authentication on.
	rootPassword string
}

type member struct {
	name, client, peer, dir string
	cmd                     *exec.Cmd
	done                    chan struct{}
	log                     *os.File
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// binary builds the etcdmember command once per test binary.
func binary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "etcdmember")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "etcdmember")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", buildBin, "github.com/runbookhq/runbook/internal/etcdtest/etcdmember").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building etcdmember: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// Start starts a cluster of Size members and waits (at most a minute) until
// it serves its clients. The test's cleanup stops it.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: binary(t), dir: t.TempDir()}
	if opts.TLS {
		c.tls = MakeCerts(t, filepath.Join(c.dir, "tls"))
	}
	ports := freePorts(t, 2*Size)
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	var initial []string
	for i := range c.members {
		m := &member{
			name:   fmt.Sprintf("m%d", i),
			client: fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[2*i]),
			peer:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
			dir:    filepath.Join(c.dir, fmt.Sprintf("m%d", i)),
		}
		c.members[i] = m
		initial = append(initial, m.name+"="+m.peer)
	}
	t.Cleanup(c.stopAll)
	for i := range c.members {
		c.start(i, strings.Join(initial, ","), "new")
	}
	c.WaitHealthy()
	return c
}

func freePorts(t testing.TB, n int) []int {
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func (c *Cluster) initialCluster() string {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peer)
	}
	return strings.Join(initial, ",")
}

func (c *Cluster) start(i int, initial, state string) {
	c.t.Helper()
	m := c.members[i]
	args := []string{"-name", m.name, "-data-dir", m.dir, "-client-url", m.client, "-peer-url", m.peer,
		"-initial-cluster", initial, "-initial-cluster-state", state}
	if c.tls != nil {
		args = append(args, "-ca", c.tls.CA, "-cert", c.tls.ServerCert, "-key", c.tls.ServerKey)
	}
	log, err := os.OpenFile(filepath.Join(c.dir, m.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		c.t.Fatal(err)
	}
	m.cmd, m.log, m.done = cmd, log, make(chan struct{})
	go func(done chan struct{}) {
		cmd.Wait()
		log.Close()
		close(done)
	}(m.done)
}

func (c *Cluster) stopAll() {
	for i, m := range c.members {
		if m != nil && m.cmd != nil {
			c.signal(i, syscall.SIGCONT)
			c.Kill(i)
		}
	}
}

// Endpoints are the members' client addresses, host:port.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.members {
		_, hp, _ := strings.Cut(m.client, "://")
		out = append(out, hp)
	}
	return out
}

// TLS is the cluster's certificates; nil without TLS.
func (c *Cluster) TLS() *Certs { return c.tls }

// Log returns what the member i wrote, for a failing test's message.
func (c *Cluster) Log(i int) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, c.members[i].name+".log"))
	return string(b)
}

// Running reports whether the member i runs.
func (c *Cluster) Running(i int) bool {
	m := c.members[i]
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Kill kills the member i (SIGKILL) and waits for it to be gone.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		c.t.Errorf("etcd member %s did not die within 30s of SIGKILL", m.name)
	}
	m.cmd = nil
}

func (c *Cluster) signal(i int, sig syscall.Signal) {
	if m := c.members[i]; m.cmd != nil {
		m.cmd.Process.Signal(sig)
	}
}

// Restart starts again the member i, killed before, on its data directory.
// It does not wait: a member alone has no quorum; WaitHealthy waits.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.Running(i) {
		return
	}
	c.start(i, c.initialCluster(), "existing")
}

// Leader returns the index of the member that leads the cluster, waiting
// (at most 30s) for there to be one.
func (c *Cluster) Leader() int {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i := range c.members {
			if !c.Running(i) {
				continue
			}
			if st, err := c.status(i); err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
				return i
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("the etcd cluster has no leader after 30s")
	return -1
}

// KillLeader kills the member that leads the cluster and returns its index.
func (c *Cluster) KillLeader() int {
	i := c.Leader()
	c.Kill(i)
	return i
}

// LoseQuorum kills all but one member; RestoreQuorum starts them again.
func (c *Cluster) LoseQuorum() {
	for i := 1; i < Size; i++ {
		c.Kill(i)
	}
}

// RestoreQuorum starts every member that is not running and waits until
// the cluster serves its clients.
func (c *Cluster) RestoreQuorum() {
	c.t.Helper()
	for i := range c.members {
		c.Restart(i)
	}
	c.WaitHealthy()
}

// WaitHealthy waits (at most a minute) until every running member answers
// and a write through the cluster succeeds.
func (c *Cluster) WaitHealthy() {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		last = c.healthy()
		if last == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := range c.members {
		c.t.Logf("etcd member %d log:\n%s", i, c.Log(i))
	}
	c.t.Fatalf("the etcd cluster is not healthy after a minute: %v", last)
}

func (c *Cluster) healthy() error {
	for i := range c.members {
		if !c.Running(i) {
			continue
		}
		st, err := c.status(i)
		if err != nil {
			return err
		}
		if st.Leader == 0 {
			return fmt.Errorf("member %d has no leader", i)
		}
	}
	cli, err := c.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, "/etcdtest/health", time.Now().String())
	return err
}

func (c *Cluster) status(i int) (*clientv3.StatusResponse, error) {
	cli, err := c.client([]string{c.Endpoints()[i]})
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return cli.Status(ctx, c.Endpoints()[i])
}

// Client returns a client of the whole cluster (with the client
// certificate under TLS, as the root user once auth is on).
func (c *Cluster) Client() (*clientv3.Client, error) {
	return c.client(c.Endpoints())
}

func (c *Cluster) client(eps []string) (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: eps, DialTimeout: 2 * time.Second, Logger: nopLogger()}
	if c.tls != nil {
		tc, err := c.tls.ClientConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLS = tc
	}
	if c.rootPassword != "" {
		cfg.Username, cfg.Password = "root", c.rootPassword
	}
	return clientv3.New(cfg)
}

func nopLogger() *zap.Logger { return zap.NewNop() }

// EnableAuth turns on user and password authentication: a root user (the
// test's own client then logs in as root) and user with password, allowed
// to read and write every key.
func (c *Cluster) EnableAuth(user, password string) {
	c.t.Helper()
	cli, err := c.Client()
	if err != nil {
		c.t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	root := "root-" + password
	steps := []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", root); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "runbook"); return err },
		func() error {
			_, err := cli.RoleGrantPermission(ctx, "runbook", "\x00", clientv3.GetPrefixRangeEnd(""), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := cli.UserAdd(ctx, user, password); return err },
		func() error { _, err := cli.UserGrantRole(ctx, user, "runbook"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			c.t.Fatalf("enabling etcd authentication: %v", err)
		}
	}
	c.rootPassword = root
}
