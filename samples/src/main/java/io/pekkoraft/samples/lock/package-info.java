/**
 * A distributed lock with leases and fencing tokens, on a Raft group: {@link
 * io.pekkoraft.samples.lock.LockStateMachine} (acquire, renew, release; the fencing token is the log index of
 * the acquisition; a lease ends by log time, never by a node's clock), {@link
 * io.pekkoraft.samples.lock.FencedStorage} (the resource it protects, which rejects writes with a token older
 * than one it has seen), {@link io.pekkoraft.samples.lock.LockScenario} (the paused holder of Jepsen's etcd
 * analysis) and {@link io.pekkoraft.samples.lock.LockSample}, which runs it on three nodes.
 */
package io.pekkoraft.samples.lock;
