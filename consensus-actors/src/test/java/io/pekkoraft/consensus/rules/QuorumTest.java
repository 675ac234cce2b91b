package io.pekkoraft.consensus.rules;

import static io.pekkoraft.consensus.rules.Quorum.VoteResult.LOST;
import static io.pekkoraft.consensus.rules.Quorum.VoteResult.PENDING;
import static io.pekkoraft.consensus.rules.Quorum.VoteResult.WON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

class QuorumTest {

  private static ToLongFunction<String> matchIndex(Map<String, Long> m) {
    return id -> {
      Long v = m.get(id);
      if (v == null) throw new AssertionError("matchIndex asked for " + id + ", which must not count");
      return v;
    };
  }

  private static Map<String, Boolean> votes(Object... idsAndGrants) {
    Map<String, Boolean> m = new HashMap<>();
    for (int i = 0; i < idsAndGrants.length; i += 2) m.put((String) idsAndGrants[i], (Boolean) idsAndGrants[i + 1]);
    return m;
  }

  // ---- quorumIndex: the highest index stored on a majority

  @Test
  void aSingleVoterIsItsOwnQuorum() {
    // With one voter the quorum index is that voter's matchIndex.
    Configuration c = Configuration.ofVoters(Set.of("a"));
    assertEquals(7, Quorum.quorumIndex(c, matchIndex(Map.of("a", 7L))));
  }

  @Test
  void twoVotersNeedBoth() {
    // With two voters a majority is both, so the quorum index is the lower matchIndex.
    Configuration c = Configuration.ofVoters(Set.of("a", "b"));
    assertEquals(4, Quorum.quorumIndex(c, matchIndex(Map.of("a", 9L, "b", 4L))));
    assertEquals(4, Quorum.quorumIndex(c, matchIndex(Map.of("a", 4L, "b", 9L))));
  }

  @Test
  void threeVotersTakeTheMedian() {
    // With matchIndex {5, 3, 1} two of three voters hold index 3, so 3 is stored on a quorum.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c"));
    assertEquals(3, Quorum.quorumIndex(c, matchIndex(Map.of("a", 5L, "b", 3L, "c", 1L))));
    assertEquals(3, Quorum.quorumIndex(c, matchIndex(Map.of("a", 1L, "b", 5L, "c", 3L))));
  }

  @Test
  void fourVotersNeedThree() {
    // With four voters at {9, 7, 3, 1} only index 3 is on three of them (a majority of four).
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d"));
    assertEquals(3, Quorum.quorumIndex(c, matchIndex(Map.of("a", 9L, "b", 7L, "c", 3L, "d", 1L))));
  }

  @Test
  void fiveVotersNeedThree() {
    // With five voters at {10, 8, 6, 4, 2} index 6 is on three voters, a majority of five.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d", "e"));
    assertEquals(6, Quorum.quorumIndex(c, matchIndex(Map.of("a", 2L, "b", 10L, "c", 6L, "d", 4L, "e", 8L))));
  }

  @Test
  void equalMatchIndexesAreCountedTogether() {
    // Ties count: {5, 5, 0} has index 5 on two of three voters.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c"));
    assertEquals(5, Quorum.quorumIndex(c, matchIndex(Map.of("a", 5L, "b", 5L, "c", 0L))));
  }

  @Test
  void majorityIndexAlone() {
    // The package-level majority index matches the examples of the paper's majority rule.
    assertEquals(3, Quorum.majorityIndex(Set.of("a", "b", "c"), matchIndex(Map.of("a", 5L, "b", 3L, "c", 1L))));
    assertEquals(3, Quorum.majorityIndex(Set.of("a", "b", "c", "d"),
        matchIndex(Map.of("a", 9L, "b", 7L, "c", 3L, "d", 1L))));
  }

  @Test
  void learnersNeverCountTowardsTheQuorumIndex() {
    // A learner far ahead does not raise the quorum index; its matchIndex is not even asked for.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of(), Set.of("l1", "l2"));
    assertEquals(1, Quorum.quorumIndex(c, matchIndex(Map.of("a", 5L, "b", 1L, "c", 0L))));
  }

  @Test
  void jointConfigurationTakesTheLowerOfBothMajorities() {
    // During joint consensus an index is on a quorum only if it is on a majority of C_old and of C_new.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("c", "d", "e"), Set.of());
    Map<String, Long> m = Map.of("a", 9L, "b", 8L, "c", 7L, "d", 2L, "e", 1L);
    // C_new majority index 8, C_old majority index 2.
    assertEquals(2, Quorum.quorumIndex(c, matchIndex(m)));
  }

  @Test
  void jointConfigurationWhenTheOutgoingHalfIsAhead() {
    // The min applies both ways: a lagging incoming half holds the quorum index back too.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("x", "y", "z"), Set.of());
    Map<String, Long> m = Map.of("a", 1L, "b", 2L, "c", 3L, "x", 10L, "y", 10L, "z", 10L);
    assertEquals(2, Quorum.quorumIndex(c, matchIndex(m)));
  }

  @Test
  void jointConfigurationIgnoresLearners() {
    // Learners count in neither half of a joint configuration.
    Configuration c = new Configuration(Set.of("a", "b"), Set.of("c"), Set.of("l"));
    assertEquals(4, Quorum.quorumIndex(c, matchIndex(Map.of("a", 4L, "b", 6L, "c", 5L))));
  }

  // ---- voteResult

  @Test
  void singleVoterWinsWithItsOwnVote() {
    // A one-member group wins as soon as the candidate votes for itself.
    Configuration c = Configuration.ofVoters(Set.of("a"));
    assertEquals(PENDING, Quorum.voteResult(c, votes()));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", false)));
  }

  @Test
  void threeVotersWinWithTwoGrants() {
    // Of three voters, two grants win; one grant is not yet decided.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", true)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", false, "c", true)));
  }

  @Test
  void threeVotersLoseWithTwoRefusals() {
    // Of three voters, two refusals make a majority impossible; one refusal is still pending.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", false)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", true, "b", false, "c", false)));
    assertEquals(LOST, Quorum.voteResult(c, votes("b", false, "c", false)));
  }

  @Test
  void twoVotersLoseOnASingleRefusal() {
    // With two voters both must grant, so one refusal already loses.
    Configuration c = Configuration.ofVoters(Set.of("a", "b"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", true, "b", false)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", true)));
  }

  @Test
  void fourVotersNeedThreeGrantsAndLoseOnTwoRefusals() {
    // Of four voters, a split 2-2 vote is a loss; three grants win; one refusal is pending.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", true)));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", true, "c", false)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", true, "c", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", true, "b", true, "c", false, "d", false)));
  }

  @Test
  void fiveVotersWinWithThreeGrantsAndLoseWithThreeRefusals() {
    // Of five voters, three grants win and three refusals lose.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d", "e"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", true, "c", false, "d", false)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", true, "e", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", true, "c", false, "d", false, "e", false)));
  }

  @Test
  void votesOfLearnersAndStrangersAreIgnored() {
    // Grants from learners or from ids outside the configuration never make a candidate win.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of(), Set.of("l1", "l2"));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "l1", true, "l2", true, "x", true)));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "l1", false, "l2", false)));
  }

  @Test
  void jointWinNeedsBothHalves() {
    // During joint consensus a majority of C_new alone, or of C_old alone, does not win.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("d", "e", "f"), Set.of());
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", true)));
    assertEquals(PENDING, Quorum.voteResult(c, votes("d", true, "e", true)));
    assertEquals(WON, Quorum.voteResult(c, votes("a", true, "b", true, "d", true, "e", true)));
  }

  @Test
  void jointLossInEitherHalfLoses() {
    // A lost majority in either half loses the joint election, even if the other half granted.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("d", "e", "f"), Set.of());
    assertEquals(LOST, Quorum.voteResult(c, votes("a", true, "b", true, "d", false, "e", false)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", false, "b", false, "d", true, "e", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("a", false, "b", false)));
  }

  @Test
  void jointOverlappingMembersCountInBothHalves() {
    // A member in both C_old and C_new contributes its vote to each half.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("b", "c", "d"), Set.of());
    assertEquals(WON, Quorum.voteResult(c, votes("b", true, "c", true)));
    assertEquals(LOST, Quorum.voteResult(c, votes("b", false, "c", false)));
    assertEquals(PENDING, Quorum.voteResult(c, votes("a", true, "b", true)));
  }

  // ---- isQuorum

  @Test
  void isQuorumInASimpleConfiguration() {
    // A majority of the voters (the leader itself included if listed) is a quorum; fewer is not.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d", "e"));
    assertFalse(Quorum.isQuorum(c, Set.of()));
    assertFalse(Quorum.isQuorum(c, Set.of("a", "b")));
    assertTrue(Quorum.isQuorum(c, Set.of("a", "b", "c")));
    assertTrue(Quorum.isQuorum(c, Set.of("a", "b", "c", "d", "e")));
  }

  @Test
  void isQuorumWithAnEvenNumberOfVoters() {
    // Half of four voters is not a quorum; three of four is.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c", "d"));
    assertFalse(Quorum.isQuorum(c, Set.of("a", "b")));
    assertTrue(Quorum.isQuorum(c, Set.of("a", "b", "d")));
  }

  @Test
  void isQuorumIgnoresLearnersAndStrangers() {
    // Learners and unknown responders add nothing towards a quorum.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of(), Set.of("l1", "l2", "l3"));
    assertFalse(Quorum.isQuorum(c, Set.of("a", "l1", "l2", "l3", "x")));
    assertTrue(Quorum.isQuorum(c, Set.of("a", "c")));
  }

  @Test
  void isQuorumInAJointConfigurationNeedsBothHalves() {
    // During joint consensus responders must include a majority of C_old and a majority of C_new.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("d", "e", "f"), Set.of());
    assertFalse(Quorum.isQuorum(c, Set.of("a", "b", "c")));
    assertFalse(Quorum.isQuorum(c, Set.of("d", "e", "f")));
    assertFalse(Quorum.isQuorum(c, Set.of("a", "b", "c", "d")));
    assertTrue(Quorum.isQuorum(c, Set.of("a", "b", "d", "e")));
  }

}
