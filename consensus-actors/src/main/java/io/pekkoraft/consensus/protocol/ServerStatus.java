package io.pekkoraft.consensus.protocol;

import io.pekkoraft.consensus.RaftRole;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One server's own view of itself, as opposed to the leader's view of the group
 * ({@link MembershipRequest.GetMembership}): its role, term, the leader it knows, its commit index and how far
 * its state machine has applied. Asked of the local server only ({@link Get} never leaves the node).
 */
public record ServerStatus(String memberId, RaftRole role, long term, String leaderId, long commitIndex,
    long appliedIndex) {

  /** Answered {@link ServerStatus} by the server's state machine runner, once it has applied what it was handed. */
  public record Get(ActorRef<ServerStatus> replyTo) implements ServerCommand, NoSerializationVerificationNeeded {}
}
