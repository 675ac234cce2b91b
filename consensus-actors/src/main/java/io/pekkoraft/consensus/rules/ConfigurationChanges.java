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

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The membership planner: from one configuration to the next, one step at a time, on immutable values
 * (like etcd's {@code confchange}). It decides what the next configuration entry holds; when it is appended
 * and committed is {@link ChangeAdmission}'s business.
 *
 * <p>Two kinds of step:
 *
 * <ul>
 *   <li>A simple change (thesis §4.1): at most one voter added or removed, learners freely. Any majority of
 *       the old voters then overlaps any majority of the new, so the new configuration can take effect at
 *       once. {@link #addLearner}, {@link #promote}, {@link #demote}, {@link #addVoter} and
 *       {@link #removeMember} are simple changes; {@link #simple} takes any target and refuses it
 *       ({@code NEEDS_JOINT}) when more than one voter would change. Demoting a voter to learner is one
 *       voter removed, so it is a simple change (as in etcd, where {@code Simple} allows it when it is the
 *       only voter that changes): the member becomes a learner at once.
 *   <li>Joint consensus (thesis §4.3, paper §6): {@link #enterJoint} goes to C(old,new), where elections and
 *       commitment need a majority of both; {@link #leaveJoint} goes from there to C(new). A voter that the
 *       joint change demotes still votes in C_old until then: it waits in {@code learnersNext} and becomes a
 *       learner when the joint configuration is left (etcd's rule: an outgoing voter becomes a learner only
 *       through joint).
 * </ul>
 *
 * <p>Every step checks its input and its output. A refusal that depends on the request (the member is not
 * there, the change is too large, a change is already under way) is a {@link ConfigurationChangeException}
 * with its {@link ConfigurationChangeException.Reason}. A broken input or output is an
 * {@link IllegalStateException}: the caller's state (or this planner) is broken, and the node must stop.
 * The invariants are those of {@link Configuration} (at least one voter, no member both voter and learner,
 * learners-next only as outgoing voters) plus those of each step ({@link #checkedStep}).
 */
public final class ConfigurationChanges {

  /** The kinds of step, for the output check. */
  enum Step {
    SIMPLE,
    ENTER_JOINT,
    LEAVE_JOINT
  }

  private ConfigurationChanges() {}

  /** Thesis §4.2.1: a new server joins as a learner (non-voting) and catches up before it votes. */
  public static Configuration addLearner(Configuration config, String id) throws ConfigurationChangeException {
    return addLearner(config, id, null);
  }

  /**
   * {@link #addLearner(Configuration, String)}, recording the member's Pekko {@code address} (null: none
   * recorded, the transport knows it otherwise).
   */
  public static Configuration addLearner(Configuration config, String id, String address)
      throws ConfigurationChangeException {
    checkInput(config, id);
    refuseWhileJoint(config, id);
    if (config.members().contains(id)) throw new ConfigurationChangeException(ALREADY_A_MEMBER, id, config);
    return simple(config, config.voters(), plus(config.learners(), id), addressOf(id, address));
  }

  /** A learner becomes a voter: one voter added. Whether it has caught up is for the caller to decide. */
  public static Configuration promote(Configuration config, String id) throws ConfigurationChangeException {
    checkInput(config, id);
    refuseWhileJoint(config, id);
    if (config.voters().contains(id)) throw new ConfigurationChangeException(NOT_A_LEARNER, id, config);
    if (!config.learners().contains(id)) throw new ConfigurationChangeException(NOT_A_MEMBER, id, config);
    return simple(config, plus(config.voters(), id), minus(config.learners(), id));
  }

  /** A voter becomes a learner: one voter removed, a simple change (see the class comment). */
  public static Configuration demote(Configuration config, String id) throws ConfigurationChangeException {
    checkInput(config, id);
    refuseWhileJoint(config, id);
    if (config.learners().contains(id)) throw new ConfigurationChangeException(NOT_A_VOTER, id, config);
    if (!config.voters().contains(id)) throw new ConfigurationChangeException(NOT_A_MEMBER, id, config);
    if (config.voters().size() == 1) throw new ConfigurationChangeException(WOULD_REMOVE_LAST_VOTER, id, config);
    return simple(config, minus(config.voters(), id), plus(config.learners(), id));
  }

  /**
   * A new member becomes a voter at once (thesis §4.1). Without catching up first it may make the group
   * unavailable until it does (§4.2.1); the membership layer adds a learner and promotes it instead, by
   * default. A learner is promoted with {@link #promote}, not added again.
   */
  public static Configuration addVoter(Configuration config, String id) throws ConfigurationChangeException {
    return addVoter(config, id, null);
  }

  /** {@link #addVoter(Configuration, String)}, recording the member's Pekko {@code address} (null: none). */
  public static Configuration addVoter(Configuration config, String id, String address)
      throws ConfigurationChangeException {
    checkInput(config, id);
    refuseWhileJoint(config, id);
    if (config.members().contains(id)) throw new ConfigurationChangeException(ALREADY_A_MEMBER, id, config);
    return simple(config, plus(config.voters(), id), config.learners(), addressOf(id, address));
  }

  /** A voter or a learner leaves the group: at most one voter removed. */
  public static Configuration removeMember(Configuration config, String id) throws ConfigurationChangeException {
    checkInput(config, id);
    refuseWhileJoint(config, id);
    if (!config.members().contains(id)) throw new ConfigurationChangeException(NOT_A_MEMBER, id, config);
    if (config.voters().equals(Set.of(id))) throw new ConfigurationChangeException(WOULD_REMOVE_LAST_VOTER, id, config);
    return simple(config, minus(config.voters(), id), minus(config.learners(), id));
  }

  /** Does going from {@code config}'s voters to {@code newVoters} change more than one voter? */
  public static boolean needsJoint(Configuration config, Set<String> newVoters) {
    checkInput(config);
    return votersChanged(config.voters(), newVoters) > 1;
  }

  /**
   * Any target as one simple change: refused with {@code NEEDS_JOINT} when more than one voter changes
   * (replacing a voter by another is two changes: add one, then remove the other, or go through joint).
   * A target equal to the configuration gives an equal configuration back.
   */
  public static Configuration simple(Configuration config, Set<String> newVoters, Set<String> newLearners)
      throws ConfigurationChangeException {
    return simple(config, newVoters, newLearners, Map.of());
  }

  /** {@link #simple(Configuration, Set, Set)}, recording the addresses of members it adds. */
  public static Configuration simple(Configuration config, Set<String> newVoters, Set<String> newLearners,
      Map<String, String> newAddresses) throws ConfigurationChangeException {
    checkInput(config);
    refuseWhileJoint(config, "the configuration");
    checkTarget(config, newVoters, newLearners);
    if (votersChanged(config.voters(), newVoters) > 1) {
      throw new ConfigurationChangeException(NEEDS_JOINT, "going from voters " + config.voters() + " to "
          + new TreeSet<>(newVoters), config);
    }
    return checkedStep(Step.SIMPLE, config, newVoters, Set.of(), newLearners, Set.of(), newAddresses);
  }

  /**
   * Enter joint consensus C(old,new) (thesis §4.3): the voters become {@code newVoters}, the old voters
   * become the outgoing half. Learners of the target that are voters now wait in {@code learnersNext} until
   * {@link #leaveJoint}; other learners of the target are learners at once, and a learner missing from
   * the target leaves at once (learners never count, so neither needs the joint step). Any number of
   * voters may change, one or none included.
   */
  public static Configuration enterJoint(Configuration config, Set<String> newVoters, Set<String> newLearners)
      throws ConfigurationChangeException {
    return enterJoint(config, newVoters, newLearners, Map.of());
  }

  /** {@link #enterJoint(Configuration, Set, Set)}, recording the addresses of members it adds. */
  public static Configuration enterJoint(Configuration config, Set<String> newVoters, Set<String> newLearners,
      Map<String, String> newAddresses) throws ConfigurationChangeException {
    checkInput(config);
    refuseWhileJoint(config, "the configuration");
    checkTarget(config, newVoters, newLearners);
    Set<String> learners = new TreeSet<>(newLearners);
    learners.removeAll(config.voters());
    Set<String> learnersNext = new TreeSet<>(newLearners);
    learnersNext.retainAll(config.voters());
    return checkedStep(Step.ENTER_JOINT, config, newVoters, config.voters(), learners, learnersNext, newAddresses);
  }

  /**
   * Leave joint consensus: C(new) alone (thesis §4.3). The outgoing voters that are not incoming voters
   * leave the group, except those in learnersNext, which become learners now.
   */
  public static Configuration leaveJoint(Configuration config) throws ConfigurationChangeException {
    checkInput(config);
    if (!config.isJoint()) throw new ConfigurationChangeException(NOT_JOINT, "the configuration", config);
    return checkedStep(Step.LEAVE_JOINT, config, config.voters(), Set.of(),
        union(config.learners(), config.learnersNext()), Set.of(), Map.of());
  }

  /**
   * The output of a step, checked: the invariants of {@link Configuration}, and those of the step. A
   * simple step starts from and ends in a simple configuration and changes at most one voter; entering
   * joint starts from a simple configuration and keeps its voters as the outgoing half, with learners-next
   * only among them; leaving joint keeps the incoming voters and turns learners-next into learners. Any
   * violation is the planner's own bug (the refusals come before): {@link IllegalStateException}. The
   * addresses and replica ids of the members that stay are carried over; {@code newAddresses} adds those
   * of members the step adds (an address given for a member already there does not replace its own).
   */
  static Configuration checkedStep(Step step, Configuration before, Set<String> voters, Set<String> votersOutgoing,
      Set<String> learners, Set<String> learnersNext, Map<String, String> newAddresses) {
    String violation = Configuration.violation(voters, votersOutgoing, learners, learnersNext);
    if (violation == null) violation = stepViolation(step, before, voters, votersOutgoing, learners, learnersNext);
    if (violation != null) {
      throw new IllegalStateException("configuration change " + step + " from " + before
          + " produced a broken configuration (voters " + new TreeSet<>(voters) + ", outgoing "
          + new TreeSet<>(votersOutgoing) + ", learners " + new TreeSet<>(learners) + ", learners-next "
          + new TreeSet<>(learnersNext) + "): " + violation);
    }
    Map<String, String> addresses = new TreeMap<>(newAddresses);
    addresses.keySet().removeAll(before.members());
    addresses.putAll(before.addresses());
    return new Configuration(voters, votersOutgoing, learners, learnersNext)
        .withDetails(addresses, before.replicaIds());
  }

  /** {@link #checkedStep(Step, Configuration, Set, Set, Set, Set, Map)} adding no address. */
  static Configuration checkedStep(Step step, Configuration before, Set<String> voters, Set<String> votersOutgoing,
      Set<String> learners, Set<String> learnersNext) {
    return checkedStep(step, before, voters, votersOutgoing, learners, learnersNext, Map.of());
  }

  private static Map<String, String> addressOf(String id, String address) {
    if (address == null) return Map.of();
    if (address.isBlank()) throw new IllegalArgumentException("the address of " + id + " is blank");
    return Map.of(id, address);
  }

  private static String stepViolation(Step step, Configuration before, Set<String> voters,
      Set<String> votersOutgoing, Set<String> learners, Set<String> learnersNext) {
    switch (step) {
      case SIMPLE -> {
        if (before.isJoint()) return "a simple change started from a joint configuration";
        if (!votersOutgoing.isEmpty() || !learnersNext.isEmpty()) return "a simple change produced a joint configuration";
        if (votersChanged(before.voters(), voters) > 1) return "a simple change changed more than one voter";
      }
      case ENTER_JOINT -> {
        if (before.isJoint()) return "entered joint consensus from a joint configuration";
        if (!votersOutgoing.equals(before.voters())) return "the outgoing voters are not the voters before the change";
        for (String next : learnersNext) {
          if (!before.voters().contains(next)) return next + " is a learner-next but was not a voter";
        }
      }
      case LEAVE_JOINT -> {
        if (!before.isJoint()) return "left joint consensus from a simple configuration";
        if (!votersOutgoing.isEmpty() || !learnersNext.isEmpty()) return "leaving joint consensus left it joint";
        if (!voters.equals(before.voters())) return "leaving joint consensus changed the incoming voters";
        if (!new TreeSet<>(learners).equals(union(before.learners(), before.learnersNext()))) {
          return "leaving joint consensus must make exactly the learners and learners-next learners";
        }
      }
    }
    return null;
  }

  /** A broken input is a broken caller: it stops the node. */
  private static void checkInput(Configuration config) {
    if (config == null) throw new IllegalStateException("no current configuration to change");
    String violation = Configuration.violation(
        config.voters(), config.votersOutgoing(), config.learners(), config.learnersNext());
    if (violation != null) throw new IllegalStateException("the current configuration is broken: " + violation);
  }

  private static void checkInput(Configuration config, String id) {
    checkInput(config);
    Objects.requireNonNull(id, "member id");
  }

  /** A request's target: at least one voter, nobody both voter and learner. */
  private static void checkTarget(Configuration config, Set<String> newVoters, Set<String> newLearners)
      throws ConfigurationChangeException {
    for (String m : newVoters) Objects.requireNonNull(m, "member id");
    for (String m : newLearners) Objects.requireNonNull(m, "member id");
    if (newVoters.isEmpty()) throw new ConfigurationChangeException(WOULD_REMOVE_LAST_VOTER, "the target", config);
    for (String learner : new TreeSet<>(newLearners)) {
      if (newVoters.contains(learner)) throw new ConfigurationChangeException(BOTH_VOTER_AND_LEARNER, learner, config);
    }
  }

  /** No change but leaving while joint: a second change would need a third configuration to overlap. */
  private static void refuseWhileJoint(Configuration config, String subject) throws ConfigurationChangeException {
    if (config.isJoint()) throw new ConfigurationChangeException(CHANGE_IN_PROGRESS_JOINT, subject, config);
  }

  /** The size of the symmetric difference: voters added plus voters removed. */
  private static int votersChanged(Set<String> before, Set<String> after) {
    int changed = 0;
    for (String v : after) if (!before.contains(v)) changed++;
    for (String v : before) if (!after.contains(v)) changed++;
    return changed;
  }

  private static Set<String> plus(Set<String> set, String id) {
    Set<String> copy = new TreeSet<>(set);
    copy.add(id);
    return copy;
  }

  private static Set<String> minus(Set<String> set, String id) {
    Set<String> copy = new TreeSet<>(set);
    copy.remove(id);
    return copy;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> copy = new TreeSet<>(a);
    copy.addAll(b);
    return copy;
  }
}
