// Package etcd is the state store kept in an etcd cluster, so that a run's
// journal, lock and rehearsal cluster are shared by every machine that
// reaches it: --state etcd://HOST:PORT[,HOST:PORT...]/PREFIX.
//
// Under PREFIX: "lock" is the lock, a key under a lease that the holding
// run keeps alive, whose value says who holds it; "journal/N" are the
// journal's writes in order, each the entries of one Append (a step's
// records are one transaction); "blob/NAME" names the current generation of
// a blob, whose chunks are "chunk/NAME/GEN/N" (a blob larger than one etcd
// request is still replaced at once); "stream/NAME/N" are a stream's
// writes in order.
//
// Every write of a run is a transaction conditioned on the lock key's
// create revision being the one the run created (a fencing token): a run
// paused past its lease and replaced writes nothing once it wakes. Writes
// that meet a leader change are retried, safely (a retry finds its own
// write); past the request timeout etcd is taken to be unreachable and the
// write fails, naming the endpoints. A failed write ends the session's
// writes: nothing is written after a write whose fate is unknown.
//
// It does not compact etcd's history: the operator's etcd does that
// (--auto-compaction-retention), as for any other use.
package etcd
