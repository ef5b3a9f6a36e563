package etcdtest

import (
	"context"
	"testing"
	"time"
)

func put(t *testing.T, c *Cluster, key string) error {
	t.Helper()
	cli, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, key, "v")
	return err
}

// TestCluster kills the leader (the cluster goes on), takes quorum away
// (writes fail) and gives it back (writes succeed), over TLS.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd cluster")
	}
	c := Start(t, Options{TLS: true})
	if err := put(t, c, "a"); err != nil {
		t.Fatal(err)
	}
	old := c.KillLeader()
	c.WaitHealthy()
	if err := put(t, c, "b"); err != nil {
		t.Fatalf("after the leader %d died: %v", old, err)
	}
	c.Restart(old)
	c.WaitHealthy()
	c.LoseQuorum()
	if err := put(t, c, "c"); err == nil {
		t.Fatal("a write succeeded without quorum")
	}
	c.RestoreQuorum()
	if err := put(t, c, "d"); err != nil {
		t.Fatal(err)
	}
}
