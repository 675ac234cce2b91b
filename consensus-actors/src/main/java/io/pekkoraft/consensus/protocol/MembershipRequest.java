package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Administrative requests about a group's membership, sent to any of its servers. A server that is not the
 * leader forwards the request once to the leader it knows ({@code hops} counts the forwards), or answers
 * {@link MembershipReply.NotLeader}. The reply comes from the server that handled the request.
 */
public sealed interface MembershipRequest extends ServerCommand, RaftSerializable {

  /** For {@code expectedConfigurationIndex}: the change applies to whatever configuration is the latest. */
  long ANY_CONFIGURATION = -1;

  int hops();

  ActorRef<MembershipReply> replyTo();

  /** The copy a server that is not the leader sends on to the leader. */
  MembershipRequest forwarded();

  /**
   * Make {@code change}. With {@code expectedConfigurationIndex} other than {@link #ANY_CONFIGURATION}, only
   * if the latest configuration is still the one at that index (compare-and-set). Answered
   * {@link MembershipReply.Changed} once the new configuration is committed (for a joint change, once the
   * joint configuration has been left), or with why not.
   */
  record ChangeMembership(ConfigurationChange change, long expectedConfigurationIndex, int hops,
      ActorRef<MembershipReply> replyTo) implements MembershipRequest {

    @Override
    public ChangeMembership forwarded() {
      return new ChangeMembership(change, expectedConfigurationIndex, hops + 1, replyTo);
    }
  }

  /**
   * The membership as the leader sees it, with each member's replication progress: answered
   * {@link MembershipReply.Status}.
   */
  record GetMembership(int hops, ActorRef<MembershipReply> replyTo) implements MembershipRequest {

    @Override
    public GetMembership forwarded() {
      return new GetMembership(hops + 1, replyTo);
    }
  }
}
