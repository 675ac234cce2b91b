package io.pekkoraft.consensus;

/** The role a Raft server plays at a moment. */
public enum RaftRole {
  FOLLOWER,
  /** Asking whether it could win an election, without raising its term (Pre-Vote). */
  PRE_CANDIDATE,
  CANDIDATE,
  LEADER
}
