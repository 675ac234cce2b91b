package io.pekkoraft.membership;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;

/**
 * How a {@link MembershipClient} call fails. Each subclass is an operational condition, not a bug;
 * {@link #mayHaveChanged()} says whether the membership may have changed anyway (read it with
 * {@link MembershipClient#membership()} before trying again).
 */
public abstract class MembershipException extends RuntimeException {

  private final boolean mayHaveChanged;

  private MembershipException(String message, boolean mayHaveChanged) {
    super(message);
    this.mayHaveChanged = mayHaveChanged;
  }

  /** True when a change was possibly appended and may still take effect; false when nothing changed. */
  public boolean mayHaveChanged() {
    return mayHaveChanged;
  }

  /**
   * The leader refused the change; nothing changed. {@link #reason()} says why: {@code NOT_A_MEMBER},
   * {@code ALREADY_A_MEMBER}, {@code NOT_A_LEARNER}, {@code NOT_A_VOTER}, {@code WOULD_REMOVE_LAST_VOTER},
   * {@code NEEDS_JOINT}, {@code CONFIGURATION_CHANGED}, {@code INVALID_REQUEST}, ... (retryable reasons are
   * retried by the coordinator until its deadline and end as {@link Timeout}).
   */
  public static final class Refused extends MembershipException {
    private final RefusalReason reason;
    private final transient Membership membership;

    public Refused(RefusalReason reason, String message, Membership membership) {
      super(reason + ": " + message, false);
      this.reason = reason;
      this.membership = membership;
    }

    public RefusalReason reason() {
      return reason;
    }

    /** The leader's membership when it refused, or null. */
    public Membership membership() {
      return membership;
    }
  }

  /**
   * The learner had not caught up with the leader's log within
   * {@code pekko-raft.membership.coordinator.promote-timeout}; it is still a learner. Is it running and
   * reachable? Try again later, or remove it.
   */
  public static final class LearnerNotCaughtUp extends MembershipException {
    private final String memberId;

    public LearnerNotCaughtUp(String memberId, String message) {
      super(message, false);
      this.memberId = memberId;
    }

    public String memberId() {
      return memberId;
    }
  }

  /** No server answered as the leader before the deadline (an election, a partition, no quorum). */
  public static final class NoLeader extends MembershipException {
    public NoLeader(String message, boolean mayHaveChanged) {
      super(message, mayHaveChanged);
    }
  }

  /** The deadline passed while the leader kept refusing for a retryable reason, or did not answer. */
  public static final class Timeout extends MembershipException {
    public Timeout(String message, boolean mayHaveChanged) {
      super(message, mayHaveChanged);
    }
  }

  /** Too many membership requests wait already ({@code coordinator.queue-size-max}); this one was not tried. */
  public static final class Busy extends MembershipException {
    public Busy(String message) {
      super(message, false);
    }
  }
}
