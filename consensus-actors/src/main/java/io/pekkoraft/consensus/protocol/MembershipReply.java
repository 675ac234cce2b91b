package io.pekkoraft.consensus.protocol;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.Map;

/** The typed answers to {@link MembershipRequest}. */
public sealed interface MembershipReply extends RaftSerializable {

  /** The change is committed: {@code membership} is the configuration it made (after leaving joint, for a joint change). */
  record Changed(Membership membership) implements MembershipReply {}

  /**
   * The leader's view: {@code membership}, {@code leaderId} and its term and commit index, and the
   * progress of each other member it replicates to.
   */
  record Status(Membership membership, String leaderId, long term, long commitIndex,
      Map<String, MemberProgress> progress) implements MembershipReply {
    public Status {
      progress = Map.copyOf(progress);
    }
  }

  /**
   * How far a member has caught up, as the leader knows it: {@code matchIndex} (0 until it first
   * answered), whether the leader heard from it within the last two election timeouts
   * ({@code recentlyHeard}), and its replica id (0 until known).
   */
  record MemberProgress(long matchIndex, boolean recentlyHeard, long replicaId) implements RaftSerializable {}

  /** The server asked is not the leader and did not forward; {@code leaderId} is the leader it knows, or null. */
  record NotLeader(String leaderId) implements MembershipReply {}

  /** Nothing was changed, for {@code reason}; {@code membership} is the latest configuration the leader holds. */
  record Refused(RefusalReason reason, String message, Membership membership) implements MembershipReply {}

  /**
   * The configuration entry was appended but the leader lost its leadership (or stopped) before it
   * committed: it may still take effect under the next leader. Ask {@link MembershipRequest.GetMembership}.
   */
  record OutcomeUnknown(String reason) implements MembershipReply {}

  /** Why a change was refused. Those marked retryable may pass when asked again later. */
  enum RefusalReason {
    /** Retryable: the leader has not committed an entry of its term yet (raft-dev 2015, thesis §4.1 erratum). */
    NOT_COMMITTED_IN_TERM(true),
    /** Retryable: the latest configuration entry is not committed yet; one change at a time (thesis §4.1). */
    CONFIGURATION_CHANGE_IN_PROGRESS(true),
    /** Compare-and-set: the latest configuration is not the one the change expected. */
    CONFIGURATION_CHANGED(false),
    /** Retryable: a learner to promote has not caught up yet. */
    NOT_CAUGHT_UP(true),
    /** Retryable: the leader is handing its leadership over. */
    LEADERSHIP_TRANSFER_IN_PROGRESS(true),
    NOT_A_MEMBER(false),
    ALREADY_A_MEMBER(false),
    NOT_A_LEARNER(false),
    NOT_A_VOTER(false),
    WOULD_REMOVE_LAST_VOTER(false),
    BOTH_VOTER_AND_LEARNER(false),
    /** Retryable: a joint change is under way; the leader leaves it on its own. */
    CHANGE_IN_PROGRESS_JOINT(true),
    NOT_JOINT(false),
    NEEDS_JOINT(false),
    /** The request itself is malformed (a blank member id or address, an address that does not parse). */
    INVALID_REQUEST(false);

    public final boolean retryable;

    RefusalReason(boolean retryable) {
      this.retryable = retryable;
    }
  }
}
