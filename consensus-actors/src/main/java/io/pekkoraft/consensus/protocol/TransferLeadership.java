package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * An administrative request: hand the leadership of the group over to {@code target} (thesis §3.10), or,
 * when {@code target} is null, to the voter whose log is most up to date. The leader stops accepting new
 * commands, brings the target's log up to its own last index, commits everything it holds, and then
 * orders the target to start an election at once ({@link RaftMessage.TimeoutNow}). Bounded by
 * {@code pekko-raft.leadership-transfer-timeout}; when it passes, the leader serves clients again.
 *
 * <p>With {@code forward}, a member that is not the leader forwards the request once to the leader it
 * knows (the forwarded copy does not forward again); without it, it answers
 * {@link TransferReply.NotLeader}. The reply always comes from the member that handled the request.
 */
public record TransferLeadership(String target, boolean forward, ActorRef<TransferReply> replyTo)
    implements ServerCommand, RaftSerializable {

  /** The copy a member that is not the leader sends on to the leader: it is not forwarded again. */
  public TransferLeadership forwarded() {
    return new TransferLeadership(target, false, replyTo);
  }
}
