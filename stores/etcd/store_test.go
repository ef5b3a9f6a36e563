package etcd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/etcdtest"
	"github.com/runbookhq/runbook/runtime"
)

func open(t *testing.T, c *etcdtest.Cluster, prefix string, env map[string]string) *Store {
	t.Helper()
	s, err := Open("etcd://"+strings.Join(c.Endpoints(), ",")+"/"+prefix, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.OpTimeout = 8 * time.Second
	t.Cleanup(func() { s.Close() })
	return s
}

func holder(pid int) runtime.Holder {
	return runtime.Holder{User: "op", Host: "jump", PID: pid, Since: time.Unix(0, 0).UTC(), Command: "runbook run"}
}

func entries(recs [][]byte) string { return string(bytes.Join(recs, []byte("|"))) }

func TestParseRef(t *testing.T) {
	env := func(string) string { return "" }
	for _, bad := range []string{"etcd://h:1", "etcd://h:1/", "etcd://h/p", "etcd://h:1,x/p"} {
		if _, err := ParseRef(bad, env); err == nil {
			t.Errorf("ParseRef(%q) succeeded", bad)
		}
	}
	cfg, err := ParseRef("etcd://a:1,b:2/team/prod/", env)
	if err != nil || cfg.Prefix != "/team/prod" || fmt.Sprint(cfg.Endpoints) != "[a:1 b:2]" {
		t.Fatalf("got %+v, %v", cfg, err)
	}
}

// TestStore runs a store through a three-member cluster: what a run writes,
// a second run refused and named, a lock lost by a paused holder, a leader
// killed between writes, and quorum lost and restored.
func TestStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{})
	ctx := context.Background()

	t.Run("writes", func(t *testing.T) {
		s := open(t, c, "writes", nil)
		ss, err := s.Lock(ctx, holder(1), runtime.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := ss.Stream("run.log")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "line 1\n")
		if err := ss.Append([]byte(`{"a":1}`), []byte(`{"a":2}`)); err != nil {
			t.Fatal(err)
		}
		big := bytes.Repeat([]byte("0123456789"), 250_000) // 2.5 MB: three chunks
		fmt.Fprintf(w, "line 2\n")
		x, err := ss.Stream("exec.log")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Write(big); err != nil {
			t.Fatal(err)
		}
		x.Close()
		if err := ss.Put("sim.json", big); err != nil {
			t.Fatal(err)
		}
		if err := ss.Put("sim.json", []byte("small")); err != nil {
			t.Fatal(err)
		}
		if err := ss.Append([]byte(`{"a":3}`)); err != nil {
			t.Fatal(err)
		}
		if err := ss.Release(); err != nil {
			t.Fatal(err)
		}
		// A second store, as on another machine.
		o := open(t, c, "writes", nil)
		recs, err := o.Journal()
		if err != nil || entries(recs) != `{"a":1}|{"a":2}|{"a":3}` {
			t.Fatalf("journal %q, %v", entries(recs), err)
		}
		if b, err := o.Get("sim.json"); err != nil || string(b) != "small" {
			t.Fatalf("sim.json %.20q, %v", b, err)
		}
		if b, err := o.Get("run.log"); err != nil || string(b) != "line 1\nline 2\n" {
			t.Fatalf("run.log %q, %v", b, err)
		}
		if b, err := o.Get("exec.log"); err != nil || !bytes.Equal(b, big) {
			t.Fatalf("exec.log: %d bytes, %v", len(b), err)
		}
		if _, err := o.Get("nothing"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a missing blob: %v", err)
		}
		if h, err := o.Holder(); h != nil || err != nil {
			t.Fatalf("holder after release: %v, %v", h, err)
		}
		// A new session appends after what is there.
		ss, err = o.Lock(ctx, holder(2), runtime.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ss.Append([]byte(`{"a":4}`)); err != nil {
			t.Fatal(err)
		}
		ss.Release()
		if recs, _ := o.Journal(); len(recs) != 4 {
			t.Fatalf("journal %q", entries(recs))
		}
		if err := ss.Append([]byte(`{"a":5}`)); !errors.Is(err, ErrLockLost) {
			t.Fatalf("an append after release: %v", err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		s := open(t, c, "refused", nil)
		ss, err := s.Lock(ctx, holder(1), runtime.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Release()
		_, err = open(t, c, "refused", nil).Lock(ctx, holder(2), runtime.LockOptions{})
		var locked *runtime.LockedError
		if !errors.As(err, &locked) || locked.Holder == nil || locked.Holder.PID != 1 {
			t.Fatalf("a second lock: %v", err)
		}
		if _, err := open(t, c, "refused", nil).Unlock(false); !errors.Is(err, runtime.ErrHolderAlive) {
			t.Fatalf("unlock without force: %v", err)
		}
		if err := s.Put("report.html", []byte("x")); err == nil {
			t.Fatal("a put outside the run succeeded while it holds the lock")
		}
		res, err := open(t, c, "refused", nil).Unlock(true)
		if err != nil || !res.Cleared || res.Holder == nil || res.Holder.PID != 1 {
			t.Fatalf("unlock --force: %+v, %v", res, err)
		}
		if err := ss.Append([]byte(`1`)); !errors.Is(err, ErrLockLost) {
			t.Fatalf("an append after unlock --force: %v", err)
		}
	})

	t.Run("paused", func(t *testing.T) {
		s := open(t, c, "paused", nil)
		sess, err := s.Lock(ctx, holder(1), runtime.LockOptions{TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		a := sess.(*Session)
		if err := a.Append([]byte(`{"by":"a"}`)); err != nil {
			t.Fatal(err)
		}
		// A paused process renews nothing.
		a.cancel()
		<-a.kept
		var waited []time.Duration
		b, err := open(t, c, "paused", nil).Lock(ctx, holder(2), runtime.LockOptions{TTL: 2 * time.Second, Wait: 20 * time.Second,
			Waiting: func(h *runtime.Holder, left time.Duration) {
				if h == nil || h.PID != 1 {
					t.Errorf("waiting for %v", h)
				}
				waited = append(waited, left)
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		if len(waited) == 0 {
			t.Error("the take-over did not say it waits")
		}
		if err := b.Append([]byte(`{"by":"b"}`)); err != nil {
			t.Fatal(err)
		}
		// a wakes up.
		err = a.Append([]byte(`{"by":"a, late"}`))
		var lost *LostError
		if !errors.As(err, &lost) || !errors.Is(err, ErrLockLost) || lost.Now == nil || lost.Now.PID != 2 {
			t.Fatalf("the paused holder's append: %v", err)
		}
		if err := a.Put("sim.json", []byte("late")); !errors.Is(err, ErrLockLost) {
			t.Fatalf("the paused holder's put: %v", err)
		}
		if recs, _ := s.Journal(); entries(recs) != `{"by":"a"}|{"by":"b"}` {
			t.Fatalf("journal %q", entries(recs))
		}
		if _, err := s.Get("sim.json"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the paused holder's put was written: %v", err)
		}
	})

	t.Run("leader", func(t *testing.T) {
		s := open(t, c, "leader", nil)
		ss, err := s.Lock(ctx, holder(1), runtime.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Release()
		if err := ss.Append([]byte(`1`)); err != nil {
			t.Fatal(err)
		}
		old := c.KillLeader()
		if err := ss.Append([]byte(`2`)); err != nil {
			t.Fatalf("an append after the leader died: %v", err)
		}
		c.Restart(old)
		c.WaitHealthy()
		if err := ss.Append([]byte(`3`)); err != nil {
			t.Fatal(err)
		}
		if recs, _ := s.Journal(); entries(recs) != `1|2|3` {
			t.Fatalf("journal %q", entries(recs))
		}
	})

	t.Run("quorum", func(t *testing.T) {
		s := open(t, c, "quorum", nil)
		s.cfg.OpTimeout = 3 * time.Second
		ss, err := s.Lock(ctx, holder(1), runtime.LockOptions{TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := ss.Append([]byte(`1`)); err != nil {
			t.Fatal(err)
		}
		c.LoseQuorum()
		err = ss.Append([]byte(`2`))
		var down *Unreachable
		if !errors.As(err, &down) || !strings.Contains(err.Error(), c.Endpoints()[0]) {
			t.Fatalf("an append without quorum: %v", err)
		}
		if err := ss.Append([]byte(`3`)); err == nil {
			t.Fatal("an append after a failed one succeeded")
		}
		ss.Release()
		c.RestoreQuorum()
		// A new run takes over once the old lease is gone (revoked, or
		// expired), and finds 1, and 2 whole or not at all.
		ss, err = s.Lock(ctx, holder(2), runtime.LockOptions{Wait: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Release()
		if recs, _ := s.Journal(); entries(recs) != `1` && entries(recs) != `1|2` {
			t.Fatalf("journal %q", entries(recs))
		}
		if err := ss.Append([]byte(`4`)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTLS reaches a cluster that asks for a client certificate, with user
// and password authentication on; a wrong password is refused without
// being shown.
func TestTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := etcdtest.Start(t, etcdtest.Options{TLS: true})
	c.EnableAuth("runbook", "s3cret-pw")
	certs := c.TLS()
	env := map[string]string{EnvCACert: certs.CA, EnvCert: certs.ClientCert, EnvKey: certs.ClientKey, EnvUser: "runbook", EnvPassword: "s3cret-pw"}
	s := open(t, c, "tls", env)
	ss, err := s.Lock(context.Background(), holder(1), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Append([]byte(`1`)); err != nil {
		t.Fatal(err)
	}
	ss.Release()

	env[EnvPassword] = "wrong-pw"
	ref := "etcd://" + strings.Join(c.Endpoints(), ",") + "/tls"
	_, err = Open(ref, func(k string) string { return env[k] })
	if err == nil || strings.Contains(err.Error(), "wrong-pw") || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("a wrong password: %v", err)
	}
	delete(env, EnvCert)
	delete(env, EnvKey)
	env[EnvPassword] = "s3cret-pw"
	if s, err := Open(ref, func(k string) string { return env[k] }); err == nil {
		_, err = s.Journal()
		s.Close()
		if err == nil {
			t.Fatal("no client certificate: no error")
		}
	} else if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatal("no client certificate: no error")
	}
}
