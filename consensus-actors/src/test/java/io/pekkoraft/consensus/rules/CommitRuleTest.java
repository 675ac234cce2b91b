package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

class CommitRuleTest {

  /** A leader's log given as the term of each entry, index 1 first; index 0 has term 0. */
  private static LongUnaryOperator log(long... terms) {
    return index -> index == 0 ? 0 : index <= terms.length ? terms[(int) index - 1] : -1;
  }

  @Test
  void anEntryOfTheCurrentTermOnAQuorumCommits() {
    // §5.3: once an entry of the leader's term is stored on a quorum, the commit index moves to it.
    assertEquals(3, CommitRule.advance(0, 3, log(1, 1, 1), 1));
  }

  @Test
  void figure8AnOlderTermEntryOnAMajorityIsNotCommittedByCounting() {
    // Figure 8 (c): S1, leader of term 4, has replicated index 2 (term 2) to S1, S2, S3, a majority of
    // five, but must not commit it, because S5 (term 3 at index 2) could still be elected and overwrite it.
    Configuration c = Configuration.ofVoters(Set.of("s1", "s2", "s3", "s4", "s5"));
    LongUnaryOperator s1 = log(1, 2);
    long quorumIndex = Quorum.quorumIndex(c, Map.of("s1", 2L, "s2", 2L, "s3", 2L, "s4", 1L, "s5", 1L)::get);
    assertEquals(2, quorumIndex);
    assertEquals(1, CommitRule.advance(1, quorumIndex, s1, 4));
  }

  @Test
  void figure8TheOlderEntryCommitsOnceACurrentTermEntryAboveItIsOnAQuorum() {
    // Figure 8 (e): once S1's term-4 entry at index 3 is on a majority, index 3 commits and with it index 2.
    Configuration c = Configuration.ofVoters(Set.of("s1", "s2", "s3", "s4", "s5"));
    LongUnaryOperator s1 = log(1, 2, 4);
    long quorumIndex = Quorum.quorumIndex(c, Map.of("s1", 3L, "s2", 3L, "s3", 3L, "s4", 1L, "s5", 1L)::get);
    assertEquals(3, quorumIndex);
    assertEquals(3, CommitRule.advance(1, quorumIndex, s1, 4));
  }

  @Test
  void aCurrentTermEntryOnlyOnAMinorityDoesNotHelp() {
    // While the leader's current-term entry is on a minority, the old-term entries below stay uncommitted.
    Configuration c = Configuration.ofVoters(Set.of("s1", "s2", "s3", "s4", "s5"));
    LongUnaryOperator s1 = log(1, 2, 4);
    long quorumIndex = Quorum.quorumIndex(c, Map.of("s1", 3L, "s2", 3L, "s3", 2L, "s4", 1L, "s5", 1L)::get);
    assertEquals(2, quorumIndex);
    assertEquals(1, CommitRule.advance(1, quorumIndex, s1, 4));
  }

  @Test
  void aNewLeaderCommitsOlderEntriesThroughItsNoop() {
    // §8: the no-op a new leader appends in its term commits every older entry before it at once.
    LongUnaryOperator leader = log(1, 1, 2, 2, 2, 5);
    assertEquals(0, CommitRule.advance(0, 5, leader, 5));
    assertEquals(6, CommitRule.advance(0, 6, leader, 5));
  }

  @Test
  void commitNeverGoesDown() {
    // A quorum index at or below the commit index (a lagging quorum, a new configuration) leaves it as is.
    LongUnaryOperator leader = log(1, 1, 1, 1, 1);
    assertEquals(5, CommitRule.advance(5, 3, leader, 1));
    assertEquals(5, CommitRule.advance(5, 5, leader, 1));
    assertEquals(5, CommitRule.advance(5, 0, leader, 1));
  }

  @Test
  void commitNeverGoesDownEvenWhenTheQuorumIndexIsOfTheCurrentTerm() {
    // The current-term check does not override monotonicity: a lower current-term quorum index is ignored.
    LongUnaryOperator leader = log(3, 3, 3, 3);
    assertEquals(4, CommitRule.advance(4, 2, leader, 3));
  }

  @Test
  void commitAdvancesInSteps() {
    // Repeated calls move the commit index forward as the quorum index grows in the current term.
    LongUnaryOperator leader = log(1, 2, 2, 2);
    long commit = 0;
    commit = CommitRule.advance(commit, 1, leader, 2);
    assertEquals(0, commit);
    commit = CommitRule.advance(commit, 2, leader, 2);
    assertEquals(2, commit);
    commit = CommitRule.advance(commit, 4, leader, 2);
    assertEquals(4, commit);
    commit = CommitRule.advance(commit, 3, leader, 2);
    assertEquals(4, commit);
  }

  @Test
  void anEmptyQuorumIndexCommitsNothing() {
    // A fresh leader with nothing on a quorum keeps commit index 0 (the sentinel has term 0).
    assertEquals(0, CommitRule.advance(0, 0, log(), 1));
  }
}
