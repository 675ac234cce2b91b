package io.pekkoraft.consensus.rules;

/**
 * May the leader append a new configuration entry now? The rule "one change at a time, and a new leader
 * changes membership only after committing in its term", in one place. What the entry holds is
 * {@link ConfigurationChanges}'s business; this decides only when. Leaving a joint configuration is a
 * change like any other here (with no expectation of its own).
 *
 * <p>The checks run in this order, so that a refusal that may pass by itself (retry later) comes before
 * one that will not, and the compare-and-set is decided against a committed configuration only (an
 * uncommitted one may still be truncated by a later leader).
 */
public final class ChangeAdmission {

  /** For {@code expectedConfigIndex}: the change applies to whatever configuration is the latest. */
  public static final long ANY_CONFIGURATION = -1;

  /** The decision, each refusal with its source. */
  public enum Decision {
    ACCEPT(null),
    /**
     * raft-dev, "bug in single-server membership changes" (Ongaro, July 2015), and the erratum to thesis
     * §4.1: with one-server changes, a leader that appends a configuration entry before it has committed an
     * entry of its own term can let two disjoint majorities form, from an uncommitted configuration of an
     * earlier term and its own (two leaders in one term, or a committed entry lost). The fix: a leader
     * appends no configuration entry until an entry of its current term has committed. hashicorp/raft and
     * MicroRaft enforce it too.
     */
    NOT_COMMITTED_IN_TERM("raft-dev 2015 / thesis §4.1 erratum: the leader has not committed an entry of its term yet"),
    /**
     * Thesis §4.1: one change at a time; a server takes the latest configuration in its log whether
     * committed or not, so the next change may start only once the previous entry has committed. Otherwise
     * two uncommitted configurations apart by two servers could have disjoint majorities.
     */
    CHANGE_IN_PROGRESS("thesis §4.1: the latest configuration entry is not committed yet"),
    /**
     * Compare-and-set (hashicorp/raft's prevIndex on AddVoter and RemoveServer): the caller decided its
     * change on another configuration than the latest, which it has not seen.
     */
    CONFIGURATION_CHANGED("compare-and-set: the latest configuration is not the one the change expected");

    /** The rule a refusal enforces, with its source; null for ACCEPT. */
    public final String rule;

    Decision(String rule) {
      this.rule = rule;
    }

    public boolean accepted() {
      return this == ACCEPT;
    }
  }

  private ChangeAdmission() {}

  /**
   * @param latestConfigIndex index of the latest configuration entry in the leader's log (committed or
   *     not), 0 for the bootstrap configuration, which no entry holds
   * @param commitIndex the leader's commit index
   * @param firstIndexOfTerm index of the first entry the leader appended in its current term (its no-op)
   * @param expectedConfigIndex the configuration index the change was decided on, or
   *     {@link #ANY_CONFIGURATION}
   * @throws IllegalStateException when the indexes cannot describe a leader's state (negative, a first
   *     index of the term at 0): the caller is broken
   */
  public static Decision check(long latestConfigIndex, long commitIndex, long firstIndexOfTerm,
      long expectedConfigIndex) {
    if (latestConfigIndex < 0 || commitIndex < 0) {
      throw new IllegalStateException("negative index: latest configuration at " + latestConfigIndex
          + ", commitIndex " + commitIndex);
    }
    if (firstIndexOfTerm < 1) {
      throw new IllegalStateException("a leader's first entry of its term is at index 1 or later, got " + firstIndexOfTerm);
    }
    if (expectedConfigIndex < 0 && expectedConfigIndex != ANY_CONFIGURATION) {
      throw new IllegalStateException("expected configuration index " + expectedConfigIndex
          + " is neither an index nor ANY_CONFIGURATION");
    }
    // raft-dev 2015: nothing of our term committed, so an older uncommitted configuration may still count.
    if (commitIndex < firstIndexOfTerm) return Decision.NOT_COMMITTED_IN_TERM;
    // §4.1: one change at a time, the latest entry (which is in effect already) must be committed.
    if (latestConfigIndex > commitIndex) return Decision.CHANGE_IN_PROGRESS;
    // Compare-and-set, against a committed configuration, so the refusal is final.
    if (expectedConfigIndex != ANY_CONFIGURATION && expectedConfigIndex != latestConfigIndex) {
      return Decision.CONFIGURATION_CHANGED;
    }
    return Decision.ACCEPT;
  }
}
