package io.pekkoraft.consensus.rules;

import static io.pekkoraft.consensus.RaftRole.CANDIDATE;
import static io.pekkoraft.consensus.RaftRole.FOLLOWER;
import static io.pekkoraft.consensus.RaftRole.LEADER;
import static io.pekkoraft.consensus.RaftRole.LEARNER;
import static io.pekkoraft.consensus.RaftRole.PRE_CANDIDATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoleTransitionsTest {

  @Test
  void anElectionGoesForwardOneStepAtATime() {
    // Follower -> PreCandidate -> Candidate -> Leader, and Follower -> Candidate without Pre-Vote or on TimeoutNow.
    assertTrue(RoleTransitions.allowed(FOLLOWER, PRE_CANDIDATE, false));
    assertTrue(RoleTransitions.allowed(FOLLOWER, CANDIDATE, false));
    assertTrue(RoleTransitions.allowed(PRE_CANDIDATE, CANDIDATE, false));
    assertTrue(RoleTransitions.allowed(CANDIDATE, LEADER, false));
  }

  @Test
  void noRoleLeadsWithoutWinningAnElection() {
    // Only a candidate becomes leader: a follower or a pre-candidate never does, nor a leader again.
    assertFalse(RoleTransitions.allowed(FOLLOWER, LEADER, false));
    assertFalse(RoleTransitions.allowed(PRE_CANDIDATE, LEADER, false));
    assertFalse(RoleTransitions.allowed(LEADER, LEADER, false));
    assertFalse(RoleTransitions.allowed(FOLLOWER, LEADER, true));
  }

  @Test
  void aLeaderOnlyStepsDown() {
    // A leader never campaigns: its only way out is to follower (check-quorum, or a higher term).
    assertFalse(RoleTransitions.allowed(LEADER, CANDIDATE, false));
    assertFalse(RoleTransitions.allowed(LEADER, PRE_CANDIDATE, false));
    assertFalse(RoleTransitions.allowed(LEADER, CANDIDATE, true));
    assertTrue(RoleTransitions.allowed(LEADER, FOLLOWER, false));
    assertTrue(RoleTransitions.allowed(LEADER, FOLLOWER, true));
  }

  @Test
  void anElectionTimeoutStartsTheNextRound() {
    // A candidate times out to a new pre-vote (Pre-Vote on) or a new election; a pre-candidate to a new pre-vote.
    assertTrue(RoleTransitions.allowed(CANDIDATE, PRE_CANDIDATE, false));
    assertTrue(RoleTransitions.allowed(CANDIDATE, CANDIDATE, false));
    assertTrue(RoleTransitions.allowed(PRE_CANDIDATE, PRE_CANDIDATE, false));
  }

  @Test
  void aLostElectionOrALeaderOfOurTermMakesAFollower() {
    // Pre-vote or vote lost, or a leader of the same term heard from.
    assertTrue(RoleTransitions.allowed(PRE_CANDIDATE, FOLLOWER, false));
    assertTrue(RoleTransitions.allowed(CANDIDATE, FOLLOWER, false));
  }

  @Test
  void aHigherTermMakesEveryRoleAFollowerAndOnlyThat() {
    // §5.1: on a higher term every role, a follower included, becomes a follower of that term.
    for (RaftRole from : RaftRole.values()) assertTrue(RoleTransitions.allowed(from, FOLLOWER, true), from.name());
    // Without a higher term a follower has no reason to start over as a follower.
    assertFalse(RoleTransitions.allowed(FOLLOWER, FOLLOWER, false));
  }

  @Test
  void theWholeDiagramHasExactlyTheseEdges() {
    // Every pair of roles, without a new term: the edges of docs/ARCHITECTURE.md's diagram and no others.
    List<String> edges = new ArrayList<>();
    for (RaftRole from : RaftRole.values()) {
      for (RaftRole to : RaftRole.values()) {
        if (RoleTransitions.allowed(from, to, false)) edges.add(from + "->" + to);
      }
    }
    assertEquals(List.of(
        "FOLLOWER->PRE_CANDIDATE", "FOLLOWER->CANDIDATE", "FOLLOWER->LEARNER",
        "PRE_CANDIDATE->FOLLOWER", "PRE_CANDIDATE->PRE_CANDIDATE", "PRE_CANDIDATE->CANDIDATE", "PRE_CANDIDATE->LEARNER",
        "CANDIDATE->FOLLOWER", "CANDIDATE->PRE_CANDIDATE", "CANDIDATE->CANDIDATE", "CANDIDATE->LEADER",
        "CANDIDATE->LEARNER",
        "LEADER->FOLLOWER", "LEADER->LEARNER",
        "LEARNER->FOLLOWER"), edges);
  }

  @Test
  void aLearnerNeverCampaignsNorLeads() {
    // Thesis §4.2.1: a learner becomes a follower (promoted, or a newer term) and nothing else.
    assertFalse(RoleTransitions.allowed(LEARNER, PRE_CANDIDATE, false));
    assertFalse(RoleTransitions.allowed(LEARNER, CANDIDATE, false));
    assertFalse(RoleTransitions.allowed(LEARNER, LEADER, false));
    assertFalse(RoleTransitions.allowed(LEARNER, LEADER, true));
    assertTrue(RoleTransitions.allowed(LEARNER, FOLLOWER, false));
    assertTrue(RoleTransitions.allowed(LEARNER, LEARNER, true));
  }
}
