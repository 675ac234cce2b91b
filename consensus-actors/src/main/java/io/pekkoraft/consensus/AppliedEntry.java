package io.pekkoraft.consensus;

/**
 * Where a command sits in the replicated log, as {@link StateMachine#apply(Object, AppliedEntry)} sees it:
 * the same on every replica, on every replay of the log (after a restart) and after a snapshot, so a state
 * machine may depend on it and stay deterministic.
 *
 * @param index the entry's log index: strictly increasing from one command to the next, never reused (a
 *     fencing token, a version number, a unique id)
 * @param term the term of the leader that appended the entry
 * @param logTimeMillis the entry's log time ({@code LogEntry.time}): milliseconds the leader that appended it
 *     stamped from its wall clock, never less than the time of the entry before it, so it never goes backwards
 *     along the log. It is the time to decide leases and expiry by, never a node's own clock, which differs
 *     between replicas and between a first apply and a replay. It follows the leaders' wall clocks, so it is
 *     only as accurate as they are (a leader whose clock runs ahead moves it ahead for good). 0 for an entry
 *     written before log time existed.
 */
public record AppliedEntry(long index, long term, long logTimeMillis) {}
