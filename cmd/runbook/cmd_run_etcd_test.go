package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	execdriver "github.com/runbookhq/runbook/drivers/exec"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/runbookhq/runbook/internal/etcdtest"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime"
	etcdstore "github.com/runbookhq/runbook/stores/etcd"
	"github.com/runbookhq/runbook/stores/local"
)

// etcdEnv is an exec test whose state is in etcd, with a second working
// directory holding the same runbook, as a colleague's machine would.
type etcdEnv struct {
	*execEnv
	c     *etcdtest.Cluster
	other string // the runbook in the second directory
	local string // a local state directory
}

func newEtcdEnv(t *testing.T, c *etcdtest.Cluster, prefix string, rebootDelay time.Duration) *etcdEnv {
	t.Helper()
	e := &etcdEnv{execEnv: newExecEnv(t, rebootDelay), c: c}
	e.local = e.state
	e.state = "etcd://" + strings.Join(c.Endpoints(), ",") + "/" + prefix
	dir := t.TempDir()
	e.other = filepath.Join(dir, "standin.hcl")
	data, err := os.ReadFile(e.hcl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.other, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// startOther starts `runbook run` from the second directory.
func (e *etcdEnv) startOther(flags ...string) *proc {
	args := append([]string{"run", "--auto-approve", "--state", e.state}, flags...)
	return e.start(nil, append(args, e.other)...)
}

// records reads the journal from etcd.
func (e *etcdEnv) records() []runtime.Record {
	e.t.Helper()
	s, err := etcdstore.Open(e.state, func(string) string { return "" })
	if err != nil {
		e.t.Fatal(err)
	}
	defer s.Close()
	recs, err := runtime.ReadJournal(s)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// localRecords reads the journal of a local state directory.
func (e *etcdEnv) localRecords(dir string) []runtime.Record {
	e.t.Helper()
	recs, err := runtime.ReadJournal(local.New(dir))
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

func (e *etcdEnv) wantOnce() {
	e.t.Helper()
	e.audit(false)
	if got, want := e.upgrades(), map[string]int{"FS1": 1, "FS2": 1, "FS3": 1}; !cmp.Equal(got, want) {
		e.t.Errorf("upgrades per node %v; want %v", got, want)
	}
}

// TestEtcd runs the exec runbook against the stand-in with its state in a
// three-member etcd cluster: a whole run and status from another
// directory, two runs at once, a take-over after SIGKILL, a holder paused
// past its lease, the leader killed and quorum lost mid-run.
func TestEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{})

	t.Run("whole", func(t *testing.T) {
		e := newEtcdEnv(t, c, "whole", 0)
		if code, out := e.run(nil); code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		e.wantOnce()
		p := e.start(nil, "status", "--state", e.state, e.other)
		code, out := p.wait(t)
		if code != exitOK {
			t.Fatalf("status from another directory: exit %d\n%s", code, out)
		}
		wantContains(t, out, e.state)
	})

	t.Run("push-pull", func(t *testing.T) {
		e := newEtcdEnv(t, c, "moved", 0)
		code, out := e.start(nil, "run", "--auto-approve", "--state", e.local, "--stop-after", "step.install-license.ncs65", e.hcl).wait(t)
		if code != exitStopped {
			t.Fatalf("the local run: exit %d\n%s", code, out)
		}
		push := func() (int, string) {
			return e.start(nil, "state", "push", "--state", e.state, "--dir", e.local, e.hcl).wait(t)
		}
		if code, out := push(); code != exitOK {
			t.Fatalf("push: exit %d\n%s", code, out)
		}
		code, out = push()
		if code != exitFailed {
			t.Fatalf("push again: exit %d\n%s", code, out)
		}
		wantContains(t, out, "already holds a run")
		if code, out := e.startOther().wait(t); code != exitOK {
			t.Fatalf("the run from etcd: exit %d\n%s", code, out)
		}
		e.wantOnce()
		back := filepath.Join(t.TempDir(), "state")
		if code, out := e.start(nil, "state", "pull", "--state", e.state, "--dir", back, e.other).wait(t); code != exitOK {
			t.Fatalf("pull: exit %d\n%s", code, out)
		}
		if got, want := len(e.records()), len(e.localRecords(back)); got != want {
			t.Errorf("pulled %d journal records of %d", want, got)
		}
		// The exec driver's log comes with the journal: the driver names it.
		if log, err := os.ReadFile(filepath.Join(back, execdriver.LogName)); err != nil || len(log) == 0 {
			t.Errorf("pulled no %s: %v", execdriver.LogName, err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		e := newEtcdEnv(t, c, "refused", time.Second)
		a := e.start(nil, e.runArgs()...)
		e.waitOp("upgrade FS1 6.5")
		code, out := e.startOther().wait(t)
		if code != exitFailed {
			t.Fatalf("the second run: exit %d\n%s", code, out)
		}
		wantContains(t, out, "locked by", "PID "+strconv.Itoa(a.cmd.Process.Pid))
		if code, out := a.wait(t); code != exitOK {
			t.Fatalf("the first run: exit %d\n%s", code, out)
		}
		e.wantOnce()
	})

	t.Run("sigkill", func(t *testing.T) {
		e := newEtcdEnv(t, c, "sigkill", time.Second)
		a := e.start(nil, e.runArgs("--lock-ttl", "2s")...)
		e.waitOp("upgrade FS2 6.5")
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		a.wait(t)
		code, out := e.startOther("--wait-lock", "30s").wait(t)
		if code != exitOK {
			t.Fatalf("the take-over: exit %d\n%s", code, out)
		}
		wantContains(t, out, "Waiting for the lock of "+e.state, "its lease expires in")
		e.wantOnce()
	})

	t.Run("sigstop", func(t *testing.T) {
		e := newEtcdEnv(t, c, "sigstop", time.Second)
		a := e.start(nil, e.runArgs("--lock-ttl", "2s")...)
		e.waitOp("upgrade FS1 6.5")
		if err := syscall.Kill(a.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		code, out := e.startOther("--wait-lock", "30s").wait(t)
		if code != exitOK {
			syscall.Kill(a.cmd.Process.Pid, syscall.SIGCONT)
			t.Fatalf("the take-over: exit %d\n%s", code, out)
		}
		ops, recs := len(standincheck.Operations(e.log())), len(e.records())
		syscall.Kill(a.cmd.Process.Pid, syscall.SIGCONT)
		code, out = a.wait(t)
		if code != exitFailed {
			t.Fatalf("the paused run, woken: exit %d\n%s", code, out)
		}
		wantContains(t, out, "lost the lock")
		if n := len(standincheck.Operations(e.log())); n != ops {
			t.Errorf("the paused run issued %d operations after it woke", n-ops)
		}
		if n := len(e.records()); n != recs {
			t.Errorf("the paused run wrote %d journal records after it woke", n-recs)
		}
		e.wantOnce()
	})

	t.Run("leader", func(t *testing.T) {
		e := newEtcdEnv(t, c, "leader", time.Second)
		a := e.start(nil, e.runArgs()...)
		e.waitOp("upgrade FS1 6.5")
		old := c.KillLeader()
		if code, out := a.wait(t); code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		c.Restart(old)
		c.WaitHealthy()
		e.wantOnce()
	})

	t.Run("quorum", func(t *testing.T) {
		e := newEtcdEnv(t, c, "quorum", time.Second)
		a := e.start(nil, e.runArgs("--lock-ttl", "2s")...)
		e.waitOp("upgrade FS1 6.5")
		c.LoseQuorum()
		code, out := a.wait(t)
		c.RestoreQuorum()
		if code != exitFailed {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantContains(t, out, c.Endpoints()[0])
		code, out = e.startOther("--wait-lock", "40s").wait(t)
		if code != exitOK {
			t.Fatalf("the run once etcd is back: exit %d\n%s", code, out)
		}
		e.wantOnce()
	})
}

// TestEtcdTLS runs the exec runbook with its state in an etcd cluster that
// serves TLS and asks for a client certificate, with user and password
// authentication on, all from the RUNBOOK_ETCD_* environment; the password
// appears in no output and no key.
func TestEtcdTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{TLS: true})
	const password = "pw-8d1f0c"
	c.EnableAuth("operator", password)
	e := newEtcdEnv(t, c, "tls", 0)
	certs := c.TLS()
	env := []string{etcdstore.EnvCACert + "=" + certs.CA, etcdstore.EnvCert + "=" + certs.ClientCert, etcdstore.EnvKey + "=" + certs.ClientKey,
		etcdstore.EnvUser + "=operator", etcdstore.EnvPassword + "=" + password}
	code, out := e.start(env, e.runArgs()...).wait(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	e.wantOnce()
	code, out = e.start(env[:3], "status", "--state", e.state, e.other).wait(t)
	if code != exitFailed || strings.Contains(out, password) {
		t.Fatalf("status without credentials: exit %d\n%s", code, out)
	}
	code, out = e.start(append(env[:4:4], etcdstore.EnvPassword+"=wrong-"+password), "status", "--state", e.state, e.other).wait(t)
	if code != exitFailed || strings.Contains(out, password) {
		t.Fatalf("status with a wrong password: exit %d\n%s", code, out)
	}
	wantContains(t, out, "authentication failed")
	cli, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "/tls", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if strings.Contains(string(kv.Value), password) {
			t.Errorf("etcd key %s holds the password", kv.Key)
		}
	}
}

// TestEtcdStateBlock runs a simulated runbook whose state "etcd" block
// names the store: no flag and no RUNBOOK_STATE are needed, neither for
// the run nor for status from another directory; --state and
// RUNBOOK_STATE still come first.
func TestEtcdStateBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	t.Setenv(stateEnv, "")
	c := etcdtest.Start(t, etcdtest.Options{})
	src, err := os.ReadFile(filepath.Join("..", "..", "runbooks", "two-node.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	block := `state "etcd" {
  endpoints = ["` + strings.Join(c.Endpoints(), `", "`) + `"]
  prefix    = "/block/two-node"
}
`
	src = append([]byte(block), src...)
	var paths []string
	for range 2 {
		p := filepath.Join(t.TempDir(), "two-node.hcl")
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	where := "etcd://" + strings.Join(c.Endpoints(), ",") + "/block/two-node"

	if code, out := runCLI("run", "--auto-approve", paths[0]); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(paths[0]), ".runbook")); !os.IsNotExist(err) {
		t.Errorf("the run left a local state directory beside the runbook (%v)", err)
	}
	s, err := etcdstore.Open(where, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := runtime.ReadJournal(s)
	if err != nil || len(recs) == 0 {
		t.Fatalf("the journal in etcd: %d records, %v", len(recs), err)
	}

	code, out := runCLI("status", paths[1])
	if code != exitOK {
		t.Fatalf("status from another directory: exit %d\n%s", code, out)
	}
	wantContains(t, out, where)
	wantContains(t, out, "Steps: 5 of 5 done")

	// state pull finds the shared store by the block too.
	pulled := filepath.Join(t.TempDir(), "pulled")
	if code, out := runCLI("state", "pull", "--dir", pulled, paths[1]); code != exitOK {
		t.Fatalf("state pull with the block only: exit %d\n%s", code, out)
	}
	pulledStore, err := local.Open(pulled)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := runtime.ReadJournal(pulledStore); err != nil || len(got) != len(recs) {
		t.Errorf("state pull copied %d journal records of %d (%v)", len(got), len(recs), err)
	}

	// --state, then RUNBOOK_STATE, come before the block: an empty
	// directory has no run.
	empty := t.TempDir()
	code, out = runCLI("status", "--state", empty, paths[1])
	if strings.Contains(out, where) {
		t.Errorf("status --state %s read the block's store: exit %d\n%s", empty, code, out)
	}
	wantContains(t, out, empty)
	t.Setenv(stateEnv, empty)
	code, out = runCLI("status", paths[1])
	if strings.Contains(out, where) {
		t.Errorf("status with %s=%s read the block's store: exit %d\n%s", stateEnv, empty, code, out)
	}
	wantContains(t, out, empty)
}
