package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;

/** The typed answer to {@link TransferLeadership}. */
public sealed interface TransferReply extends RaftSerializable {

  /**
   * A new leader is known: {@code leaderId} leads a later term (normally the target). When the request
   * named the member that already leads, that member.
   */
  record Transferred(String leaderId) implements TransferReply {}

  /** The member asked is not the leader and did not forward the request; {@code leaderId} is the leader it knows, or null. */
  record NotLeader(String leaderId) implements TransferReply {}

  /**
   * No new leader was known within {@code pekko-raft.leadership-transfer-timeout} (the target is
   * unreachable, or too far behind). The leader, if it still leads, serves clients again.
   */
  record Timeout(String reason) implements TransferReply {}

  /** The request is invalid (the target is not a voting member, another transfer is under way); nothing changed. */
  record Rejected(String reason) implements TransferReply {}
}
