package io.pekkoraft.consensus.rules;

import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.ALREADY_A_MEMBER;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.BOTH_VOTER_AND_LEARNER;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.CHANGE_IN_PROGRESS_JOINT;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.NEEDS_JOINT;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.NOT_A_LEARNER;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.NOT_A_MEMBER;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.NOT_A_VOTER;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.NOT_JOINT;
import static io.pekkoraft.consensus.rules.ConfigurationChangeException.Reason.WOULD_REMOVE_LAST_VOTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.rules.ConfigurationChanges.Step;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ConfigurationChangesTest {

  private static final Configuration ABC = Configuration.ofVoters(Set.of("a", "b", "c"));
  private static final Configuration ABC_L = new Configuration(Set.of("a", "b", "c"), Set.of(), Set.of("l"));
  /** C(old = a b c, new = a b d), learner l. */
  private static final Configuration JOINT = new Configuration(Set.of("a", "b", "d"), Set.of("a", "b", "c"), Set.of("l"));

  private static void assertRefused(ConfigurationChangeException.Reason reason, Executable change) {
    ConfigurationChangeException e = assertThrows(ConfigurationChangeException.class, change);
    assertEquals(reason, e.reason(), e.getMessage());
  }

  private static Configuration config(Set<String> voters, Set<String> learners) {
    return new Configuration(voters, Set.of(), learners);
  }

  // ---- simple changes, one server at a time (thesis §4.1)

  @Test
  void addLearnerAddsANonVotingMember() throws Exception {
    // §4.2.1: a new server joins as a learner; the voters, and so every quorum, stay as they were.
    assertEquals(config(Set.of("a", "b", "c"), Set.of("l")), ConfigurationChanges.addLearner(ABC, "l"));
  }

  @Test
  void addLearnerRefusesAMember() {
    // A voter or a learner is already in the group: adding it again is refused, not ignored.
    assertRefused(ALREADY_A_MEMBER, () -> ConfigurationChanges.addLearner(ABC_L, "a"));
    assertRefused(ALREADY_A_MEMBER, () -> ConfigurationChanges.addLearner(ABC_L, "l"));
  }

  @Test
  void promoteMakesALearnerAVoter() throws Exception {
    // A caught-up learner becomes a voter: one voter added, no longer a learner.
    assertEquals(Configuration.ofVoters(Set.of("a", "b", "c", "l")), ConfigurationChanges.promote(ABC_L, "l"));
  }

  @Test
  void promoteRefusesAVoterAndAStranger() {
    // Only a learner can be promoted.
    assertRefused(NOT_A_LEARNER, () -> ConfigurationChanges.promote(ABC_L, "a"));
    assertRefused(NOT_A_MEMBER, () -> ConfigurationChanges.promote(ABC_L, "x"));
  }

  @Test
  void demoteOfOneVoterIsASimpleChange() throws Exception {
    // One voter removed is a single-server change, so a demoted voter becomes a learner at once.
    assertEquals(config(Set.of("a", "b"), Set.of("c", "l")), ConfigurationChanges.demote(ABC_L, "c"));
  }

  @Test
  void demoteRefusesALearnerAStrangerAndTheLastVoter() {
    // Only a voter can be demoted, and never the last one.
    assertRefused(NOT_A_VOTER, () -> ConfigurationChanges.demote(ABC_L, "l"));
    assertRefused(NOT_A_MEMBER, () -> ConfigurationChanges.demote(ABC_L, "x"));
    assertRefused(WOULD_REMOVE_LAST_VOTER, () -> ConfigurationChanges.demote(config(Set.of("a"), Set.of("l")), "a"));
  }

  @Test
  void addVoterAddsOneVoter() throws Exception {
    // §4.1: a new server becomes a voter directly (the membership layer goes through a learner by default).
    assertEquals(config(Set.of("a", "b", "c", "d"), Set.of("l")), ConfigurationChanges.addVoter(ABC_L, "d"));
  }

  @Test
  void addVoterRefusesAMemberALearnerIncluded() {
    // A learner is promoted, not added: adding it as a voter would make it both a voter and a learner.
    assertRefused(ALREADY_A_MEMBER, () -> ConfigurationChanges.addVoter(ABC_L, "l"));
    assertRefused(ALREADY_A_MEMBER, () -> ConfigurationChanges.addVoter(ABC_L, "b"));
  }

  @Test
  void removeMemberRemovesAVoterOrALearner() throws Exception {
    // A voter or a learner leaves the group entirely.
    assertEquals(config(Set.of("a", "c"), Set.of("l")), ConfigurationChanges.removeMember(ABC_L, "b"));
    assertEquals(ABC, ConfigurationChanges.removeMember(ABC_L, "l"));
  }

  @Test
  void removeMemberRefusesAStrangerAndTheLastVoter() {
    // Removing the only voter would leave a group that can never elect a leader again (a naive removal
    // would build a configuration with no voters); a learner may still be removed from such a group.
    assertRefused(NOT_A_MEMBER, () -> ConfigurationChanges.removeMember(ABC, "x"));
    Configuration alone = config(Set.of("a"), Set.of("l"));
    assertRefused(WOULD_REMOVE_LAST_VOTER, () -> ConfigurationChanges.removeMember(alone, "a"));
  }

  @Test
  void aSimpleChangeOfMoreThanOneVoterNeedsJoint() {
    // §4.1: two voters changed in one step could give C_old and C_new disjoint majorities; replacing one
    // voter by another is two changes.
    assertRefused(NEEDS_JOINT, () -> ConfigurationChanges.simple(ABC, Set.of("a", "b", "c", "d", "e"), Set.of()));
    assertRefused(NEEDS_JOINT, () -> ConfigurationChanges.simple(ABC, Set.of("a", "b", "d"), Set.of()));
    assertRefused(NEEDS_JOINT, () -> ConfigurationChanges.simple(ABC, Set.of("a"), Set.of()));
    assertTrue(ConfigurationChanges.needsJoint(ABC, Set.of("a", "b", "d")));
    assertFalse(ConfigurationChanges.needsJoint(ABC, Set.of("a", "b", "c", "d")));
    assertFalse(ConfigurationChanges.needsJoint(ABC, Set.of("a", "b")));
  }

  @Test
  void aSimpleChangeOfOneVoterMayChangeAnyLearners() throws Exception {
    // Learners never count towards a quorum, so any number of them may come and go with one voter.
    Configuration next = ConfigurationChanges.simple(ABC_L, Set.of("a", "b", "c", "d"), Set.of("m", "n"));
    assertEquals(config(Set.of("a", "b", "c", "d"), Set.of("m", "n")), next);
    assertEquals(ABC_L, ConfigurationChanges.simple(ABC_L, ABC_L.voters(), ABC_L.learners()));
  }

  @Test
  void aTargetMustHaveAVoterAndNobodyInBothRoles() {
    // A target with no voter, or with a member both voter and learner, is refused before anything else.
    assertRefused(WOULD_REMOVE_LAST_VOTER, () -> ConfigurationChanges.simple(ABC, Set.of(), Set.of("a")));
    assertRefused(BOTH_VOTER_AND_LEARNER, () -> ConfigurationChanges.simple(ABC, Set.of("a", "b", "c"), Set.of("c")));
    assertRefused(WOULD_REMOVE_LAST_VOTER, () -> ConfigurationChanges.enterJoint(ABC, Set.of(), Set.of()));
    assertRefused(BOTH_VOTER_AND_LEARNER, () -> ConfigurationChanges.enterJoint(ABC, Set.of("d"), Set.of("d")));
  }

  @Test
  void noSimpleChangeWhileJoint() {
    // One change at a time: while joint, every change but leaving the joint configuration is refused.
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.addLearner(JOINT, "m"));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.promote(JOINT, "l"));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.demote(JOINT, "a"));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.addVoter(JOINT, "e"));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.removeMember(JOINT, "l"));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.simple(JOINT, Set.of("a", "b", "d"), Set.of()));
    assertRefused(CHANGE_IN_PROGRESS_JOINT, () -> ConfigurationChanges.enterJoint(JOINT, Set.of("a"), Set.of()));
  }

  // ---- joint consensus (thesis §4.3)

  @Test
  void enterJointKeepsTheOldVotersAsTheOutgoingHalf() throws Exception {
    // Replacing two voters at once: C(old = a b c, new = a d e), both majorities needed from now on.
    Configuration joint = ConfigurationChanges.enterJoint(ABC_L, Set.of("a", "d", "e"), Set.of("l"));
    assertEquals(new Configuration(Set.of("a", "d", "e"), Set.of("a", "b", "c"), Set.of("l")), joint);
    assertTrue(joint.isJoint());
  }

  @Test
  void threeToFiveAndBackThroughJoint() throws Exception {
    // 3 -> 5 and 5 -> 3, each entering and then leaving joint consensus, end in exactly the target voters.
    Configuration five = ConfigurationChanges.leaveJoint(
        ConfigurationChanges.enterJoint(ABC, Set.of("a", "b", "c", "d", "e"), Set.of()));
    assertEquals(Configuration.ofVoters(Set.of("a", "b", "c", "d", "e")), five);
    Configuration joint = ConfigurationChanges.enterJoint(five, Set.of("c", "d", "e"), Set.of());
    assertEquals(Set.of("a", "b", "c", "d", "e"), joint.votersOutgoing());
    assertEquals(Configuration.ofVoters(Set.of("c", "d", "e")), ConfigurationChanges.leaveJoint(joint));
  }

  @Test
  void aVoterDemotedByAJointChangeWaitsInLearnersNext() throws Exception {
    // etcd's rule: an outgoing voter still votes in C_old, so it cannot be a learner yet (a naive
    // enterJoint would put it in learners, making it both); it becomes a learner when the joint ends.
    Configuration joint = ConfigurationChanges.enterJoint(ABC, Set.of("a", "d", "e"), Set.of("b"));
    assertEquals(Set.of(), joint.learners());
    assertEquals(Set.of("b"), joint.learnersNext());
    assertTrue(joint.isVoter("b"));
    Configuration after = ConfigurationChanges.leaveJoint(joint);
    assertEquals(config(Set.of("a", "d", "e"), Set.of("b")), after);
  }

  @Test
  void learnersOfAJointChangeComeAndGoAtOnce() throws Exception {
    // A learner promoted by the joint change votes in C_new at once; a learner left out leaves at once;
    // a new learner is a learner at once: none of them is in C_old, so none waits for the joint to end.
    Configuration start = config(Set.of("a", "b", "c"), Set.of("l", "m"));
    Configuration joint = ConfigurationChanges.enterJoint(start, Set.of("a", "l", "d"), Set.of("n"));
    assertEquals(new Configuration(Set.of("a", "d", "l"), Set.of("a", "b", "c"), Set.of("n"), Set.of()), joint);
  }

  @Test
  void leaveJointEndsInTheNewConfiguration() throws Exception {
    // Leaving drops the outgoing half; outgoing voters not in C_new leave the group.
    assertEquals(config(Set.of("a", "b", "d"), Set.of("l")), ConfigurationChanges.leaveJoint(JOINT));
  }

  @Test
  void leaveJointNeedsAJointConfiguration() {
    // There is nothing to leave in a simple configuration.
    assertRefused(NOT_JOINT, () -> ConfigurationChanges.leaveJoint(ABC));
  }

  @Test
  void anyChangeMayGoThroughJoint() throws Exception {
    // Joint consensus is safe for any change, of one voter or none too.
    Configuration joint = ConfigurationChanges.enterJoint(ABC, Set.of("a", "b", "c", "d"), Set.of());
    assertEquals(Configuration.ofVoters(Set.of("a", "b", "c", "d")), ConfigurationChanges.leaveJoint(joint));
  }

  // ---- invariants on input and output

  @Test
  void aMissingInputConfigurationIsABrokenCaller() {
    // No current configuration is the caller's broken state, not a refusal.
    assertThrows(IllegalStateException.class, () -> ConfigurationChanges.addLearner(null, "l"));
    assertThrows(IllegalStateException.class, () -> ConfigurationChanges.leaveJoint(null));
  }

  @Test
  void outputInvariantAtLeastOneVoter() {
    // A step whose output has no voter (a naive removal of the last voter) stops loudly.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.SIMPLE, Configuration.ofVoters(Set.of("a")), Set.of(), Set.of(),
            Set.of(), Set.of()));
    assertTrue(e.getMessage().contains("at least one voter"), e.getMessage());
  }

  @Test
  void outputInvariantNoMemberBothVoterAndLearner() {
    // A naive addVoter of a learner would leave it in both sets; the output check refuses that.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.SIMPLE, ABC_L, Set.of("a", "b", "c", "l"), Set.of(), Set.of("l"),
            Set.of()));
    assertTrue(e.getMessage().contains("l cannot be both a voter and a learner"), e.getMessage());
  }

  @Test
  void outputInvariantASimpleStepChangesAtMostOneVoter() {
    // A "simple" step that swaps a voter (two changes) is caught on output even if a refusal was missed.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.SIMPLE, ABC, Set.of("a", "b", "d"), Set.of(), Set.of(), Set.of()));
    assertTrue(e.getMessage().contains("changed more than one voter"), e.getMessage());
  }

  @Test
  void outputInvariantNoSecondChangeWhileJoint() {
    // A simple step or a second enterJoint from a joint configuration is caught on output.
    IllegalStateException simple = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.SIMPLE, JOINT, Set.of("a", "b", "d"), Set.of(), Set.of("l"),
            Set.of()));
    assertTrue(simple.getMessage().contains("from a joint configuration"), simple.getMessage());
    IllegalStateException enter = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.ENTER_JOINT, JOINT, Set.of("e"), JOINT.voters(), Set.of(),
            Set.of()));
    assertTrue(enter.getMessage().contains("from a joint configuration"), enter.getMessage());
  }

  @Test
  void outputInvariantAnOutgoingVoterBecomesALearnerOnlyThroughJoint() {
    // A naive enterJoint that makes demoted voter b a learner at once leaves it voting in C_old and a
    // learner together; a naive leaveJoint that forgets learnersNext drops b from the group.
    IllegalStateException enter = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.ENTER_JOINT, ABC, Set.of("a", "d", "e"), ABC.voters(),
            Set.of("b"), Set.of()));
    assertTrue(enter.getMessage().contains("b cannot be both a voter and a learner"), enter.getMessage());
    Configuration joint = new Configuration(Set.of("a", "d", "e"), ABC.voters(), Set.of(), Set.of("b"));
    IllegalStateException leave = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.LEAVE_JOINT, joint, joint.voters(), Set.of(), Set.of(), Set.of()));
    assertTrue(leave.getMessage().contains("learners-next learners"), leave.getMessage());
  }

  @Test
  void outputInvariantEnteringJointKeepsTheOldVotersOutgoing() {
    // A joint configuration whose outgoing half is not the voters before it would count the wrong majority.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.ENTER_JOINT, ABC, Set.of("a", "d", "e"), Set.of("a", "b"),
            Set.of(), Set.of()));
    assertTrue(e.getMessage().contains("outgoing voters are not the voters before"), e.getMessage());
  }

  @Test
  void outputInvariantLeavingJointEndsJointAndKeepsTheIncomingVoters() {
    // Leaving must end in C_new: not joint, and exactly the incoming voters.
    IllegalStateException stillJoint = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.LEAVE_JOINT, JOINT, JOINT.voters(), JOINT.votersOutgoing(),
            JOINT.learners(), Set.of()));
    assertTrue(stillJoint.getMessage().contains("left it joint"), stillJoint.getMessage());
    IllegalStateException oldVoters = assertThrows(IllegalStateException.class,
        () -> ConfigurationChanges.checkedStep(Step.LEAVE_JOINT, JOINT, JOINT.votersOutgoing(), Set.of(),
            JOINT.learners(), Set.of()));
    assertTrue(oldVoters.getMessage().contains("changed the incoming voters"), oldVoters.getMessage());
  }

  @Test
  void theRefusalNamesTheMemberAndTheReason() {
    // The message says who and why, for the membership layer's typed reply and the log.
    ConfigurationChangeException e = assertThrows(ConfigurationChangeException.class,
        () -> ConfigurationChanges.promote(ABC, "x"));
    assertTrue(e.getMessage().startsWith("x is not a member (NOT_A_MEMBER"), e.getMessage());
  }
}
