package io.pekkoraft.consensus.rules;

import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;

/**
 * May this node grant a vote (or a pre-vote)? Every refusal names the rule of the paper it enforces.
 * Pure: the caller supplies the request and the voter's state ({@link Voter}).
 */
public final class VoteRules {

  /**
   * What a voter decides on: its durable state and log position, and whether it hears from a leader.
   *
   * @param currentTerm taken after the voter adopted the request's term if it was higher (a real vote)
   * @param votedFor its vote in currentTerm, or null
   * @param leaderAlive it heard from a leader within the minimum election timeout
   * @param candidateReplicaId the replica id the voter's configuration records for the candidate (0: none)
   */
  public record Voter(long currentTerm, String votedFor, long lastLogTerm, long lastLogIndex, boolean leaderAlive,
      long candidateReplicaId) {

    /** A voter whose configuration records no replica id for the candidate. */
    public Voter(long currentTerm, String votedFor, long lastLogTerm, long lastLogIndex, boolean leaderAlive) {
      this(currentTerm, votedFor, lastLogTerm, lastLogIndex, leaderAlive, 0);
    }
  }

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
    REJECT_LEADER_ALIVE("§4.2.3 we heard from a current leader within the minimum election timeout"),
    /**
     * The candidate answers under a member's name with another replica id than the configuration records:
     * it lost its disk, and with it the votes it gave, so counting it could elect two leaders in one term.
     * Checked first, before the voter even adopts the candidate's term ({@link ReplicaIds}).
     */
    REJECT_REPLICA_MISMATCH("§5.2 holds only for a voter that keeps its disk: the candidate's replica id is not the"
        + " one the configuration records for it"),
    /**
     * Thesis §4.2.3 (removed servers) and hashicorp/raft #524: a candidate that our configuration does not
     * make a voter (removed, or never added) must not win, nor raise our term and depose the leader.
     */
    REJECT_NOT_A_VOTER("§4.2.3 the candidate is not a voter of our configuration, and its log is behind ours");

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
   * Checked before anything else, before the request's term is even adopted: may a candidate that our
   * configuration (either half of a joint one) does not make a voter go on to the other checks? A removed
   * server that has not learned of its removal keeps campaigning with ever higher terms (hashicorp/raft
   * #524); its log lacks the entry that removed it, so it is behind ours once that entry reached us, and
   * it is refused here, without raising our term. A candidate whose log is at least as up-to-date as ours
   * may hold a configuration we have not received yet (it was added, and we lag behind): refusing it
   * could leave the group without a leader (thesis §4.1: servers vote without consulting their
   * configuration), so it goes on to the usual rules.
   */
  public static Decision decideCandidate(RequestVote request, Configuration config, long ourLastLogTerm,
      long ourLastLogIndex) {
    if (config.isVoter(request.from())) return Decision.GRANT;
    if (isUpToDate(request.lastLogTerm(), request.lastLogIndex(), ourLastLogTerm, ourLastLogIndex)) {
      return Decision.GRANT;
    }
    return Decision.REJECT_NOT_A_VOTER;
  }

  /**
   * §5.4.1: "If the logs have last entries with different terms, then the log with the later term is more
   * up-to-date. If the logs end with the same term, then whichever log is longer is more up-to-date."
   */
  public static boolean isUpToDate(long candidateLastTerm, long candidateLastIndex, long ourLastTerm, long ourLastIndex) {
    if (candidateLastTerm != ourLastTerm) return candidateLastTerm > ourLastTerm;
    return candidateLastIndex >= ourLastIndex;
  }

  /**
   * A real vote. The voter's {@code currentTerm} and {@code votedFor} are taken after it has adopted the
   * request's term if it was higher (so a higher term arrives here with votedFor == null). A request with
   * {@code transfer} (ordered by the current leader, thesis §3.10) skips only the leader-alive check.
   */
  public static Decision decideVote(RequestVote request, Voter voter) {
    if (ReplicaIds.mismatch(voter.candidateReplicaId(), request.replicaId())) return Decision.REJECT_REPLICA_MISMATCH;
    if (request.term() < voter.currentTerm()) return Decision.REJECT_STALE_TERM;
    if (voter.leaderAlive() && !request.transfer()) return Decision.REJECT_LEADER_ALIVE;
    if (voter.votedFor() != null && !voter.votedFor().equals(request.from())) return Decision.REJECT_ALREADY_VOTED;
    if (!isUpToDate(request.lastLogTerm(), request.lastLogIndex(), voter.lastLogTerm(), voter.lastLogIndex())) {
      return Decision.REJECT_LOG_NOT_UP_TO_DATE;
    }
    return Decision.GRANT;
  }

  /**
   * A pre-vote (thesis §9.6): would we vote for this candidate in the term it proposes ({@code
   * request.term()})? Changes no state: neither our term nor our vote; {@code votedFor} does not count.
   */
  public static Decision decidePreVote(RequestVote request, Voter voter) {
    if (ReplicaIds.mismatch(voter.candidateReplicaId(), request.replicaId())) return Decision.REJECT_REPLICA_MISMATCH;
    if (request.term() <= voter.currentTerm()) return Decision.REJECT_STALE_TERM;
    if (voter.leaderAlive()) return Decision.REJECT_LEADER_ALIVE;
    if (!isUpToDate(request.lastLogTerm(), request.lastLogIndex(), voter.lastLogTerm(), voter.lastLogIndex())) {
      return Decision.REJECT_LOG_NOT_UP_TO_DATE;
    }
    return Decision.GRANT;
  }

}
