// Command etcdmember runs one member of a test etcd cluster, embedded from
// go.etcd.io/etcd/server/v3, as a process of its own so that a test can kill
// it (SIGKILL), pause it (SIGSTOP) and start it again. Only tests start it
// (package etcdtest).
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		name    = flag.String("name", "", "member name")
		dir     = flag.String("data-dir", "", "data directory")
		client  = flag.String("client-url", "", "client URL (http:// or https://)")
		peer    = flag.String("peer-url", "", "peer URL")
		cluster = flag.String("initial-cluster", "", "NAME=PEER-URL,...")
		state   = flag.String("initial-cluster-state", embed.ClusterStateFlagNew, "new or existing")
		ca      = flag.String("ca", "", "CA file that client certificates must be signed by (TLS)")
		cert    = flag.String("cert", "", "server certificate (TLS)")
		key     = flag.String("key", "", "server key (TLS)")
	)
	flag.Parse()
	cu, err := url.Parse(*client)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pu, err := url.Parse(*peer)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = *name, *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster, cfg.ClusterState = *cluster, *state
	cfg.InitialClusterToken = "runbook-test"
	cfg.UnsafeNoFsync = true
	cfg.EnableGRPCGateway = false
	cfg.LogLevel = "warn"
	cfg.LogOutputs = []string{"stderr"}
	if *cert != "" {
		cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = *cert, *key
		cfg.ClientTLSInfo.TrustedCAFile = *ca
		cfg.ClientTLSInfo.ClientCertAuth = true
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Close()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	// The test finds the member ready through its client port: a member
	// restarted while its cluster has no quorum serves nothing until the
	// others are back.
	select {
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, err)
		return 1
	case <-sig:
		return 0
	}
}
