package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigurationTest {

  @Test
  void rejectsAConfigurationWithoutVoters() {
    // A group with no voter could never elect a leader, so the constructor refuses it.
    assertThrows(IllegalArgumentException.class, () -> new Configuration(Set.of(), Set.of(), Set.of("l1")));
    assertThrows(IllegalArgumentException.class, () -> Configuration.ofVoters(Set.of()));
  }

  @Test
  void rejectsAnEmptyIncomingHalfEvenWhenTheOutgoingHalfHasVoters() {
    // The incoming voters (C_new) must never be empty, even during joint consensus.
    assertThrows(IllegalArgumentException.class, () -> new Configuration(Set.of(), Set.of("a"), Set.of()));
  }

  @Test
  void rejectsAMemberThatIsBothAnIncomingVoterAndALearner() {
    // A learner never votes, so a member cannot be a voter and a learner at once.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Configuration(Set.of("a", "b"), Set.of(), Set.of("b")));
    assertTrue(e.getMessage().contains("b"), e.getMessage());
  }

  @Test
  void rejectsAMemberThatIsBothAnOutgoingVoterAndALearner() {
    // The voter/learner exclusion holds for the outgoing half (C_old) of a joint configuration too.
    assertThrows(IllegalArgumentException.class,
        () -> new Configuration(Set.of("a"), Set.of("b"), Set.of("b")));
  }

  @Test
  void aMemberMayBeAVoterInBothHalvesOfAJointConfiguration() {
    // C_old and C_new usually overlap: a member in both halves is legal.
    Configuration c = new Configuration(Set.of("a", "b", "c"), Set.of("a", "b", "d"), Set.of());
    assertTrue(c.isJoint());
    assertTrue(c.isVoter("a"));
  }

  @Test
  void ofVotersIsASimpleConfiguration() {
    // A configuration of voters only is not joint and has no learners.
    Configuration c = Configuration.ofVoters(Set.of("a", "b", "c"));
    assertFalse(c.isJoint());
    assertEquals(Set.of(), c.votersOutgoing());
    assertEquals(Set.of(), c.learners());
    assertEquals(Set.of("a", "b", "c"), c.voters());
  }

  @Test
  void isVoterCoversBothHalvesAndExcludesLearnersAndStrangers() {
    // In a joint configuration a member of either C_old or C_new votes; learners and unknown ids do not.
    Configuration c = new Configuration(Set.of("a", "b"), Set.of("c", "d"), Set.of("l"));
    assertTrue(c.isVoter("a"));
    assertTrue(c.isVoter("b"));
    assertTrue(c.isVoter("c"));
    assertTrue(c.isVoter("d"));
    assertFalse(c.isVoter("l"));
    assertFalse(c.isVoter("x"));
  }

  @Test
  void membersIncludesVotersOfBothHalvesAndLearners() {
    // The leader replicates to every member: voters of both halves and learners, each once.
    Configuration c = new Configuration(Set.of("a", "b"), Set.of("b", "c"), Set.of("l1", "l2"));
    assertEquals(Set.of("a", "b", "c", "l1", "l2"), c.members());
  }

  @Test
  void membersOfASimpleConfigurationWithLearners() {
    // Without joint consensus the members are the voters plus the learners.
    Configuration c = new Configuration(Set.of("a"), Set.of(), Set.of("l"));
    assertEquals(Set.of("a", "l"), c.members());
    assertFalse(c.isJoint());
  }

  @Test
  void theConfigurationCopiesItsSets() {
    // A configuration is a value: changing the caller's set afterwards does not change it.
    Set<String> voters = new HashSet<>(Set.of("a", "b", "c"));
    Configuration c = Configuration.ofVoters(voters);
    voters.add("d");
    assertEquals(Set.of("a", "b", "c"), c.voters());
    assertThrows(UnsupportedOperationException.class, () -> c.voters().add("e"));
    assertThrows(UnsupportedOperationException.class, () -> c.members().add("e"));
  }

  @Test
  void configurationsWithTheSameMembersAreEqual() {
    // Two configurations with the same voters, outgoing voters and learners are the same value.
    assertEquals(new Configuration(Set.of("a", "b"), Set.of(), Set.of("l")),
        new Configuration(Set.of("b", "a"), Set.of(), Set.of("l")));
  }

  @Test
  void aLearnerNextIsAnOutgoingVoterThatIsNotYetALearner() {
    // A voter demoted by a joint change votes in C_old until the change ends: it is a voter, not a learner.
    Configuration c = new Configuration(Set.of("a", "b", "d"), Set.of("a", "b", "c"), Set.of("l"), Set.of("c"));
    assertTrue(c.isVoter("c"));
    assertFalse(c.isLearner("c"));
    assertTrue(c.isLearner("l"));
    assertEquals(Set.of("a", "b", "c", "d", "l"), c.members());
  }

  @Test
  void rejectsALearnerNextOutsideAJointConfiguration() {
    // Only a joint change demotes a voter through learnersNext: in a simple configuration it must be empty.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Configuration(Set.of("a", "b"), Set.of(), Set.of(), Set.of("b")));
    assertTrue(e.getMessage().contains("b is a learner-next but not an outgoing voter"), e.getMessage());
  }

  @Test
  void rejectsALearnerNextThatIsNotAnOutgoingVoter() {
    // A member that never voted in C_old cannot wait in learnersNext: it would be a learner at once.
    assertThrows(IllegalArgumentException.class,
        () -> new Configuration(Set.of("a"), Set.of("a", "b"), Set.of(), Set.of("x")));
  }

  @Test
  void rejectsALearnerNextThatIsAlsoAnIncomingVoter() {
    // A member staying a voter in C_new is not being demoted.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Configuration(Set.of("a", "b"), Set.of("a", "b"), Set.of(), Set.of("b")));
    assertTrue(e.getMessage().contains("both an incoming voter and a learner-next"), e.getMessage());
  }

  @Test
  void theThreeSetConstructorHasNoLearnersNext() {
    // The constructor without learnersNext is the four-set one with an empty learnersNext.
    assertEquals(new Configuration(Set.of("a"), Set.of("b"), Set.of("l"), Set.of()),
        new Configuration(Set.of("a"), Set.of("b"), Set.of("l")));
  }
}
