package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/** The typed answer to a client command or query. */
public sealed interface ClientReply extends RaftSerializable {

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

  /** The answer {@code reply} to the request the client tagged with {@code tag} (see {@link ClientRequest#tag}). */
  record Tagged(long tag, ClientReply reply) implements ClientReply {}

  /**
   * Several tagged answers for the same client actor, sent as one message: what a leader applied for
   * that client's requests in one go.
   */
  record TaggedBatch(List<Tagged> replies) implements ClientReply {
    public TaggedBatch {
      if (replies.isEmpty()) throw new IllegalArgumentException("an empty batch of replies");
      replies = List.copyOf(replies);
    }
  }
}
