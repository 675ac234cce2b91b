package io.pekkoraft.consensus.rules;

/**
 * May a learner be promoted to voter? Thesis §4.2.1: a new server that votes before it holds the log
 * can leave the group unable to commit until it has caught up (a group of three that adds an empty fourth
 * voter needs three of four acknowledgements, and one of the three is the newcomer). So a learner is
 * promoted only once it has caught up, as the leader sees it. Pure: the leader supplies what it knows.
 */
public final class LearnerCatchUp {

  /** The decision, each refusal with its reason. */
  public enum Decision {
    CAUGHT_UP(null),
    /** Never acknowledged anything since the entry that made it a learner: it may not even hold that entry. */
    BEFORE_ADDED("it has not acknowledged the configuration entry that added it"),
    /** Its match index is further behind the commit index than {@code membership.catch-up-gap} allows. */
    TOO_FAR_BEHIND("it is further behind the commit index than pekko-raft.membership.catch-up-gap"),
    /** The leader has not heard from it within the last two election-timeout-min: it may be gone. */
    NOT_HEARD_RECENTLY("the leader has not heard from it recently");

    public final String reason;

    Decision(String reason) {
      this.reason = reason;
    }

    public boolean caughtUp() {
      return this == CAUGHT_UP;
    }
  }

  private LearnerCatchUp() {}

  /**
   * @param matchIndex the learner's last entry known to match the leader's log
   * @param commitIndex the leader's commit index
   * @param addedAt the index of the configuration entry since which it has been a member
   * @param gapMax {@code membership.catch-up-gap}
   * @param recentlyHeard the leader heard from it within the last two election-timeout-min
   */
  public static Decision check(long matchIndex, long commitIndex, long addedAt, long gapMax, boolean recentlyHeard) {
    if (matchIndex < 0 || commitIndex < 0 || addedAt < 0 || gapMax < 0) {
      throw new IllegalStateException("negative value: matchIndex " + matchIndex + ", commitIndex " + commitIndex
          + ", addedAt " + addedAt + ", gap " + gapMax);
    }
    if (matchIndex < addedAt) return Decision.BEFORE_ADDED;
    if (commitIndex - matchIndex > gapMax) return Decision.TOO_FAR_BEHIND;
    if (!recentlyHeard) return Decision.NOT_HEARD_RECENTLY;
    return Decision.CAUGHT_UP;
  }
}
