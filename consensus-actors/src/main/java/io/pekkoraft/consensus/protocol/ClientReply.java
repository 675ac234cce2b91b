package io.pekkoraft.consensus.protocol;

/**
 * The typed answer to a client command or query. (To a tagged request it arrives inside a
 * {@link ClientEnvelope.Tagged}.)
 */
public sealed interface ClientReply extends ClientEnvelope {

  /** The command was committed and applied (or the query evaluated); {@code result} is the state machine's answer. */
  record Applied(Object result, long index) implements ClientReply {}

  /**
   * This node is not the leader and did not accept the request; it was not applied. {@code leaderId} is
   * the current leader's member id when known, else null. Safe to retry on the leader.
   */
  record NotLeader(String leaderId) implements ClientReply {}

  /**
   * No answer in time, or leadership was lost after the command was appended. The command may or may
   * not be applied: the outcome is unknown.
   */
  record Timeout(String reason) implements ClientReply {}

  /**
   * The leader could not reach a quorum (check-quorum made it step down). A command appended before that
   * has an unknown outcome; a query was not served.
   */
  record NoQuorum(String reason) implements ClientReply {}

  /** The request is invalid (malformed, too large, unknown group) and was not applied. */
  record Rejected(String reason) implements ClientReply {}

  /**
   * The command was committed at {@code index}, and the state machine refused it: its {@code apply} threw
   * a RuntimeException ({@code reason} names it). Every replica applies the same command to the same state,
   * so every replica refused it alike, and the state machine's contract says a refusal leaves the state
   * unchanged. It stays in the log: submitting it again appends it again, and it fails again.
   */
  record CommandFailed(String reason, long index) implements ClientReply {}

  /**
   * A bounded STALE read was refused, not served: this node ({@code memberId}) has applied up to
   * {@code appliedIndex}, {@code entriesBehind} entries short of what the read asked for (the commit index
   * this node knows minus the lag allowed, or the minimum index). Safe to retry, on another node or later.
   */
  record TooStale(String memberId, long appliedIndex, long entriesBehind, String reason) implements ClientReply {}

  /**
   * The command's session is not open (it expired after pekko-raft.session.ttl of log time without an entry,
   * was evicted at pekko-raft.session.max-sessions, or ended): this copy of the command was not applied, and
   * none will be. Whether an earlier copy was applied cannot be told any more, unless this was the first send.
   */
  record SessionExpired(long sessionId, String reason) implements ClientReply {}
}
