// Package etcdtest starts a real three-member etcd cluster for tests: each
// member a process of its own (the etcdmember command, built from this
// module) on loopback ports in a temporary directory, so that a test can
// kill a member, pause it, kill the leader, take quorum away and give it
// back. It can serve its clients over TLS with certificates it makes, and
// with user and password authentication on. Every wait is bounded.
package etcdtest
