package io.pekkoraft.consensus.rules;

/**
 * May this node grant a vote (or a pre-vote)? Every refusal names the rule of the paper it enforces.
 * Pure: the caller supplies the node's durable state and log position.
 */
public final class VoteRules {

  /** The answer to a vote request, with the reason for a refusal. */
  public enum Decision {
    GRANT(null),
    /** §5.1: a request from an older term is rejected. */
    REJECT_STALE_TERM("§5.1 the candidate's term is older than ours"),
    /** §5.2: at most one vote per term, first come first served. */
    REJECT_ALREADY_VOTED("§5.2 already voted for another candidate in this term"),
    /** §5.4.1: the election restriction, the candidate's log must be at least as up-to-date. */
    REJECT_LOG_NOT_UP_TO_DATE("§5.4.1 the candidate's log is less up-to-date than ours"),
    /** §9.6 / thesis §4.2.3: a current leader is alive, so the request would only disrupt it. */
    REJECT_LEADER_ALIVE("§4.2.3 we heard from a current leader within the minimum election timeout");

    public final String rule;

    Decision(String rule) {
      this.rule = rule;
    }

    public boolean granted() {
      return this == GRANT;
    }
  }

  private VoteRules() {}

  /**
   * §5.4.1: "If the logs have last entries with different terms, then the log with the later term is more
   * up-to-date. If the logs end with the same term, then whichever log is longer is more up-to-date."
   */
  public static boolean isUpToDate(long candidateLastTerm, long candidateLastIndex, long ourLastTerm, long ourLastIndex) {
    if (candidateLastTerm != ourLastTerm) return candidateLastTerm > ourLastTerm;
    return candidateLastIndex >= ourLastIndex;
  }

  /**
   * A real vote. {@code currentTerm} and {@code votedFor} are taken after the node has adopted the
   * request's term if it was higher (so a higher term arrives here with votedFor == null).
   *
   * @param leaderAlive the node heard from a leader within the minimum election timeout
   * @param transfer the request is a leadership transfer ordered by the current leader
   */
  public static Decision decideVote(
      long requestTerm,
      String candidateId,
      long candidateLastTerm,
      long candidateLastIndex,
      long currentTerm,
      String votedFor,
      long ourLastTerm,
      long ourLastIndex,
      boolean leaderAlive,
      boolean transfer) {
    if (requestTerm < currentTerm) return Decision.REJECT_STALE_TERM;
    if (leaderAlive && !transfer) return Decision.REJECT_LEADER_ALIVE;
    if (votedFor != null && !votedFor.equals(candidateId)) return Decision.REJECT_ALREADY_VOTED;
    if (!isUpToDate(candidateLastTerm, candidateLastIndex, ourLastTerm, ourLastIndex)) {
      return Decision.REJECT_LOG_NOT_UP_TO_DATE;
    }
    return Decision.GRANT;
  }

  /**
   * A pre-vote (thesis §9.6): would we vote for this candidate in the term it proposes? Changes no state:
   * neither our term nor our vote.
   */
  public static Decision decidePreVote(
      long proposedTerm,
      long candidateLastTerm,
      long candidateLastIndex,
      long currentTerm,
      long ourLastTerm,
      long ourLastIndex,
      boolean leaderAlive) {
    if (proposedTerm <= currentTerm) return Decision.REJECT_STALE_TERM;
    if (leaderAlive) return Decision.REJECT_LEADER_ALIVE;
    if (!isUpToDate(candidateLastTerm, candidateLastIndex, ourLastTerm, ourLastIndex)) {
      return Decision.REJECT_LOG_NOT_UP_TO_DATE;
    }
    return Decision.GRANT;
  }
}
