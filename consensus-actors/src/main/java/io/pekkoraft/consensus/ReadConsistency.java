package io.pekkoraft.consensus;

/**
 * How fresh a read must be, and who may serve it. Chosen per call ({@link RaftGroup#read(Object,
 * ReadConsistency)}, or with a bound for STALE reads, {@link ReadOptions}). The order of the constants is
 * part of the wire format: new ones go last.
 */
public enum ReadConsistency {
  /**
   * ReadIndex (thesis §6.4): the leader confirms it is still leader with one heartbeat round, shared by
   * every read waiting at that moment, and answers once its state machine has applied the commit index
   * it recorded. Sees every write acknowledged before the read started. The default.
   */
  LINEARIZABLE,
  /**
   * Whatever the asked node has applied, without contacting anyone: may be arbitrarily old. With a bound
   * ({@link ReadOptions#staleWithin}, {@link ReadOptions#staleFrom}) a node further behind refuses it
   * ({@code TooStale}).
   */
  STALE,
  /**
   * The leader answers from its own state while its lease holds (thesis §6.4.1), without a heartbeat round:
   * linearizable only as long as the servers' clocks run at rates within the configured clock-drift margin
   * ({@code pekko-raft.read.lease-clock-drift-margin}). Off unless {@code pekko-raft.read.lease = on}; when
   * off, or while the lease does not hold, served as {@link #LINEARIZABLE}.
   */
  LEASE,
  /**
   * Linearizable, served off the leader: the asked follower or learner asks the leader for a read index
   * (one heartbeat round confirms the leader), waits until its own state machine has applied that far, and
   * answers from its own state. A learner is a read replica this way. The leader serves it as
   * {@link #LINEARIZABLE}. A {@code RaftClient} sends it, and STALE reads, to the members other than the
   * leader in turn; a {@code RaftGroup} to its own member.
   */
  FOLLOWER
}
