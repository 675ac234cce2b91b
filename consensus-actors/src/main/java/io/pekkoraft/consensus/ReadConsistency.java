package io.pekkoraft.consensus;

/** How fresh a read must be. */
public enum ReadConsistency {
  /**
   * ReadIndex (thesis §6.4): the leader confirms it is still leader with one heartbeat round, shared by
   * every read waiting at that moment, and answers once its state machine has applied the commit index
   * it recorded. Sees every write acknowledged before the read started. The default.
   */
  LINEARIZABLE,
  /** Whatever the asked node has applied, without contacting anyone: may be arbitrarily old. */
  STALE
}
