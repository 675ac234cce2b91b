package io.pekkoraft.consensus.rules;

import io.pekkoraft.consensus.RaftRole;

/**
 * The role state diagram (docs/ARCHITECTURE.md, "Role state diagram") as a rule: which role may follow
 * which. A server changes roles only through one method that asks this first; a change the diagram does
 * not have (a follower that leads without an election, a leader that campaigns) is a broken invariant.
 */
public final class RoleTransitions {

  private RoleTransitions() {}

  /**
   * May a server go from {@code from} to {@code to}?
   *
   * <ul>
   *   <li>Any role becomes a follower on seeing a higher term (§5.1), a follower too (it starts over in
   *       the new term).</li>
   *   <li>Follower: election timeout, to PreCandidate (Pre-Vote on) or Candidate (Pre-Vote off, or a
   *       TimeoutNow from its leader).</li>
   *   <li>PreCandidate: a quorum of pre-votes, to Candidate; pre-vote lost or a leader of our term seen,
   *       to Follower; election timeout, a new pre-vote round.</li>
   *   <li>Candidate: a quorum of votes, to Leader; vote lost or a leader of our term seen, to Follower;
   *       election timeout, a new election (PreCandidate with Pre-Vote on, else Candidate).</li>
   *   <li>Leader: check-quorum failed (or a leader's message of our term), to Follower; nothing else.</li>
   *   <li>Learner (thesis §4.2.1, a server that is not a voter of its configuration): wherever a server would
   *       become a follower it becomes a learner instead when its configuration does not make it a voter;
   *       a follower whose configuration makes it a learner (or removes it) becomes one, and a learner
   *       whose configuration makes it a voter becomes a follower. A learner never campaigns or leads.</li>
   * </ul>
   *
   * @param newerTerm the server has just adopted a higher term seen in a message
   */
  public static boolean allowed(RaftRole from, RaftRole to, boolean newerTerm) {
    if (newerTerm && (to == RaftRole.FOLLOWER || to == RaftRole.LEARNER)) return true;
    return switch (from) {
      case FOLLOWER -> to == RaftRole.PRE_CANDIDATE || to == RaftRole.CANDIDATE || to == RaftRole.LEARNER;
      case PRE_CANDIDATE -> to != RaftRole.LEADER;
      case CANDIDATE -> true;
      case LEADER -> to == RaftRole.FOLLOWER || to == RaftRole.LEARNER;
      case LEARNER -> to == RaftRole.FOLLOWER;
    };
  }
}
