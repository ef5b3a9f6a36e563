// Package harness runs a real three-node Pacemaker 2.1 + Corosync 3 cluster
// on one Linux machine, for end-to-end tests of the pacemaker driver.
//
// Each node (n1, n2, n3) lives in its own network, mount and UTS namespaces,
// kept alive by bind-mounting the namespace files into a private folder under
// a temporary directory. The nodes talk over veth pairs plugged into a bridge
// that lives in a fourth, "hub", network namespace: nothing is added to the
// host's network. Every node has private copies of /etc/corosync,
// /var/lib/corosync, /var/lib/pacemaker, /var/log/pacemaker,
// /var/log/corosync, /run and /etc/hosts, and a private tmpfs on /dev/shm, so
// the daemons and the command-line tools of one node never see another's.
//
// The harness starts corosync and pacemakerd itself and only ever signals the
// processes it started, or processes inside the namespaces it created. It
// never uses init scripts, pcs or crmsh, which stop Pacemaker host-wide.
// Each daemon's PID and start time are kept in a pid file under the node's
// directory, so that another process can [Attach] to a running cluster by
// its directory and stop, upgrade, start or kill its nodes: cmd pcmkctl
// does, as the upgrade command of a runbook.
//
// [Require] also takes a machine-wide lock (LockFile) for the test's
// duration: go test runs packages in parallel, and only one live cluster
// runs at a time.
//
// It needs root, util-linux (unshare, nsenter), iproute2 and the Debian
// packages that .ci/install-pacemaker installs. [Available] says what is
// missing; [Require] turns that into a skip, or a failure when CI=true.
//
// A "rolling upgrade" here is a stop, a change of the node's version marker
// ([Cluster.SetVersion]) and a start: only one Pacemaker version is packaged,
// but failover, rejoin, failback and quorum are real.
package harness
