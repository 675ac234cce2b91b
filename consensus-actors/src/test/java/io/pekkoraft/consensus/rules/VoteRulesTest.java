package io.pekkoraft.consensus.rules;

import static io.pekkoraft.consensus.rules.VoteRules.Decision.GRANT;
import static io.pekkoraft.consensus.rules.VoteRules.Decision.REJECT_ALREADY_VOTED;
import static io.pekkoraft.consensus.rules.VoteRules.Decision.REJECT_LEADER_ALIVE;
import static io.pekkoraft.consensus.rules.VoteRules.Decision.REJECT_LOG_NOT_UP_TO_DATE;
import static io.pekkoraft.consensus.rules.VoteRules.Decision.REJECT_REPLICA_MISMATCH;
import static io.pekkoraft.consensus.rules.VoteRules.Decision.REJECT_STALE_TERM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.consensus.rules.VoteRules.Decision;
import io.pekkoraft.consensus.rules.VoteRules.Voter;
import org.junit.jupiter.api.Test;

class VoteRulesTest {

  /** A vote request in {@code term} from {@code candidate} whose log ends at (lastTerm, lastIndex). */
  private static RequestVote request(long term, String candidate, long lastTerm, long lastIndex, boolean transfer) {
    return new RequestVote(term, candidate, lastIndex, lastTerm, false, transfer, 0);
  }

  /** A pre-vote request from "c" proposing {@code term}, its log ending at (lastTerm, lastIndex). */
  private static RequestVote preVote(long term, long lastTerm, long lastIndex) {
    return new RequestVote(term, "c", lastIndex, lastTerm, true, false, 0);
  }

  /** A vote request in term 5 from candidate "c" against a node in term 5 that has not voted, no leader heard. */
  private static Decision vote(long candidateLastTerm, long candidateLastIndex, long ourLastTerm, long ourLastIndex) {
    return VoteRules.decideVote(request(5, "c", candidateLastTerm, candidateLastIndex, false),
        new Voter(5, null, ourLastTerm, ourLastIndex, false));
  }

  // ---- replica ids: a candidate from another disk than the configuration records

  @Test
  void aCandidateFromAnotherDiskIsRefusedVotesAndPreVotesWhateverElseHolds() {
    // The configuration records replica id 33 for "c"; "c" asks with 99: it lost its disk. Refused first,
    // even where every other rule would grant; an unknown id on either side (0) is never a mismatch.
    Voter recorded33 = new Voter(5, null, 1, 1, false, 33);
    assertEquals(REJECT_REPLICA_MISMATCH, VoteRules.decideVote(
        new RequestVote(6, "c", 9, 9, false, false, 99), recorded33));
    assertEquals(REJECT_REPLICA_MISMATCH, VoteRules.decidePreVote(
        new RequestVote(6, "c", 9, 9, true, false, 99), recorded33));
    assertEquals(GRANT, VoteRules.decideVote(new RequestVote(6, "c", 9, 9, false, false, 33), recorded33));
    assertEquals(GRANT, VoteRules.decideVote(new RequestVote(6, "c", 9, 9, false, false, 0), recorded33));
    assertEquals(GRANT, VoteRules.decideVote(new RequestVote(6, "c", 9, 9, false, false, 99),
        new Voter(5, null, 1, 1, false, 0)));
    assertNotNull(REJECT_REPLICA_MISMATCH.rule);
  }

  // ---- §5.4.1 the election restriction

  @Test
  void aHigherLastTermIsMoreUpToDateWhateverTheLength() {
    // §5.4.1: a later last term wins even when the candidate's log is much shorter.
    assertTrue(VoteRules.isUpToDate(3, 1, 2, 100));
    assertEquals(GRANT, vote(3, 1, 2, 100));
  }

  @Test
  void aLowerLastTermIsNotUpToDateWhateverTheLength() {
    // §5.4.1: an earlier last term loses even when the candidate's log is much longer.
    assertFalse(VoteRules.isUpToDate(2, 100, 3, 1));
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, vote(2, 100, 3, 1));
  }

  @Test
  void sameLastTermAndLongerLogIsUpToDate() {
    // §5.4.1: with the same last term, the longer log is more up-to-date.
    assertTrue(VoteRules.isUpToDate(3, 8, 3, 7));
    assertEquals(GRANT, vote(3, 8, 3, 7));
  }

  @Test
  void sameLastTermAndEqualLengthIsUpToDate() {
    // §5.4.1 "at least as up-to-date": identical logs grant the vote.
    assertTrue(VoteRules.isUpToDate(3, 7, 3, 7));
    assertEquals(GRANT, vote(3, 7, 3, 7));
  }

  @Test
  void sameLastTermAndShorterLogIsNotUpToDate() {
    // §5.4.1: with the same last term, a shorter candidate log is refused.
    assertFalse(VoteRules.isUpToDate(3, 6, 3, 7));
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, vote(3, 6, 3, 7));
  }

  @Test
  void emptyLogsAreEquallyUpToDate() {
    // Two empty logs (last term 0, last index 0) are equally up-to-date, so a fresh cluster can elect.
    assertTrue(VoteRules.isUpToDate(0, 0, 0, 0));
    assertEquals(GRANT, vote(0, 0, 0, 0));
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, vote(0, 0, 1, 1));
  }

  // ---- §5.1 terms, §5.2 one vote per term

  @Test
  void aStaleTermIsRejected() {
    // §5.1: a request from an older term is refused, whatever the candidate's log.
    Decision d = VoteRules.decideVote(request(4, "c", 9, 100, false), new Voter(5, null, 1, 1, false));
    assertEquals(REJECT_STALE_TERM, d);
    assertFalse(d.granted());
  }

  @Test
  void aStaleTermIsRejectedEvenForATransfer() {
    // The leadership-transfer flag does not exempt a request from an older term.
    assertEquals(REJECT_STALE_TERM, VoteRules.decideVote(request(4, "c", 9, 100, true),
        new Voter(5, null, 1, 1, false)));
  }

  @Test
  void alreadyVotedForAnotherCandidateInThisTerm() {
    // §5.2: at most one vote per term, first come first served.
    assertEquals(REJECT_ALREADY_VOTED, VoteRules.decideVote(request(5, "c", 5, 10, false),
        new Voter(5, "b", 1, 1, false)));
  }

  @Test
  void theSameCandidateAskingAgainIsGranted() {
    // §5.2: a repeated request (a retry, a duplicated message) from the candidate we voted for is granted again.
    Decision d = VoteRules.decideVote(request(5, "c", 5, 10, false), new Voter(5, "c", 1, 1, false));
    assertEquals(GRANT, d);
    assertTrue(d.granted());
  }

  @Test
  void aHigherTermArrivesWithTheVoteCleared() {
    // After adopting a higher term the node has not voted in it, so an up-to-date candidate is granted.
    assertEquals(GRANT, VoteRules.decideVote(request(6, "c", 5, 10, false), new Voter(6, null, 5, 10, false)));
  }

  @Test
  void theSameCandidateAgainStillNeedsAnUpToDateLog() {
    // The election restriction applies even to the candidate we already voted for.
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, VoteRules.decideVote(request(5, "c", 1, 1, false),
        new Voter(5, "c", 5, 10, false)));
  }

  // ---- §4.2.3 of the thesis: a live leader is not disrupted

  @Test
  void aLiveLeaderMakesTheNodeRejectTheVote() {
    // Thesis §4.2.3: a node that heard from a current leader within the minimum election timeout refuses.
    assertEquals(REJECT_LEADER_ALIVE, VoteRules.decideVote(request(6, "c", 5, 10, false),
        new Voter(6, null, 5, 10, true)));
  }

  @Test
  void aLeadershipTransferIsExemptFromTheLeaderAliveCheck() {
    // Thesis §3.10: a vote request sent on the leader's order (TimeoutNow) is granted despite a live leader.
    assertEquals(GRANT, VoteRules.decideVote(request(6, "c", 5, 10, true), new Voter(6, null, 5, 10, true)));
  }

  @Test
  void aLeadershipTransferStillObeysTheElectionRestriction() {
    // A transfer skips only the leader-alive check; a less up-to-date candidate is still refused.
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, VoteRules.decideVote(request(6, "c", 5, 9, true),
        new Voter(6, null, 5, 10, true)));
  }

  @Test
  void aLeadershipTransferStillObeysOneVotePerTerm() {
    // A transfer skips only the leader-alive check; a vote already given to another candidate stands.
    assertEquals(REJECT_ALREADY_VOTED, VoteRules.decideVote(request(6, "c", 5, 10, true),
        new Voter(6, "b", 5, 10, true)));
  }

  // ---- pre-vote, thesis §9.6

  @Test
  void preVoteIsGrantedForAHigherProposedTermAndUpToDateLog() {
    // §9.6: a node grants a pre-vote when the proposed term is higher and the log is up-to-date.
    assertEquals(GRANT, VoteRules.decidePreVote(preVote(6, 5, 10), new Voter(5, null, 5, 10, false)));
  }

  @Test
  void preVoteIsNeverGrantedForTheCurrentTerm() {
    // A pre-vote proposes the candidate's next term; proposing our current term cannot win anything.
    assertEquals(REJECT_STALE_TERM, VoteRules.decidePreVote(preVote(5, 9, 100), new Voter(5, null, 1, 1, false)));
  }

  @Test
  void preVoteIsNeverGrantedForAnOlderTerm() {
    // A proposed term below ours is stale.
    assertEquals(REJECT_STALE_TERM, VoteRules.decidePreVote(preVote(3, 9, 100), new Voter(5, null, 1, 1, false)));
  }

  @Test
  void preVoteIsRejectedWhileALeaderIsAlive() {
    // §9.6 with check-quorum: a node that hears from a leader refuses to help start an election.
    assertEquals(REJECT_LEADER_ALIVE, VoteRules.decidePreVote(preVote(6, 5, 10), new Voter(5, null, 5, 10, true)));
  }

  @Test
  void preVoteAppliesTheElectionRestriction() {
    // §5.4.1 in a pre-vote: a shorter log of the same last term, or an older last term, is refused.
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, VoteRules.decidePreVote(preVote(6, 5, 9),
        new Voter(5, null, 5, 10, false)));
    assertEquals(REJECT_LOG_NOT_UP_TO_DATE, VoteRules.decidePreVote(preVote(6, 4, 100),
        new Voter(5, null, 5, 10, false)));
    assertEquals(GRANT, VoteRules.decidePreVote(preVote(6, 6, 1), new Voter(5, null, 5, 10, false)));
  }

  @Test
  void everyRefusalNamesItsRule() {
    // Each refusal carries the paper's section it enforces; a grant carries none.
    assertNull(GRANT.rule);
    for (Decision d : Decision.values()) {
      if (d == GRANT) continue;
      assertNotNull(d.rule, d.name());
      assertTrue(d.rule.startsWith("§"), d.rule);
      assertFalse(d.granted());
    }
  }
}
