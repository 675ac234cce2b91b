package io.pekkoraft.consensus;

/** The role a Raft server plays at a moment. */
public enum RaftRole {
  FOLLOWER,
  /** Asking whether it could win an election, without raising its term (Pre-Vote). */
  PRE_CANDIDATE,
  CANDIDATE,
  LEADER,
  /**
   * Receives the log and snapshots but never votes, never counts towards a quorum and never campaigns: a
   * learner of the configuration, or a server the configuration does not name (a node waiting to be
   * added, or one that was removed).
   */
  LEARNER
}
