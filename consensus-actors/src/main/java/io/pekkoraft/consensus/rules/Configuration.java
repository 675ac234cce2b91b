package io.pekkoraft.consensus.rules;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Who takes part in a Raft group. In a simple configuration only {@code voters} counts; during joint
 * consensus (§6 of the Raft paper) decisions need a majority of {@code voters} (C_new) AND a majority of
 * {@code votersOutgoing} (C_old). Learners receive the log but never vote and never count towards a quorum.
 *
 * <p>{@code learnersNext} are the outgoing voters that a joint change demotes to learners: they still vote
 * in C_old until the joint configuration is left, and become learners then (etcd's {@code LearnersNext}).
 * A member cannot be a voter and a learner at once, so a voter demoted by a joint change waits there.
 *
 * <p>Invariants, checked on construction ({@link #violation}): voters is never empty; no member is both a
 * voter (in either half) and a learner; every member of learnersNext is an outgoing voter and not an
 * incoming one (so learnersNext is empty unless the configuration is joint). The sets iterate in member-id
 * order, so every node (and every run of a test) sends its messages in the same order; {@code Set.of}
 * would iterate in an order that changes from one JVM to the next.
 */
public record Configuration(
    Set<String> voters, Set<String> votersOutgoing, Set<String> learners, Set<String> learnersNext) {

  public Configuration {
    voters = sorted(voters);
    votersOutgoing = sorted(votersOutgoing);
    learners = sorted(learners);
    learnersNext = sorted(learnersNext);
    String violation = violation(voters, votersOutgoing, learners, learnersNext);
    if (violation != null) throw new IllegalArgumentException(violation);
  }

  /** A configuration without learners waiting for the end of a joint change. */
  public Configuration(Set<String> voters, Set<String> votersOutgoing, Set<String> learners) {
    this(voters, votersOutgoing, learners, Set.of());
  }

  /** A simple (non-joint) configuration of voters only. */
  public static Configuration ofVoters(Set<String> voters) {
    return new Configuration(voters, Set.of(), Set.of(), Set.of());
  }

  /**
   * The first invariant these sets break, as a sentence naming the member, or null when they make a valid
   * configuration. The one place the invariants are written down: the constructor and
   * {@link ConfigurationChanges} both ask it.
   */
  static String violation(Set<String> voters, Set<String> votersOutgoing, Set<String> learners, Set<String> learnersNext) {
    if (voters.isEmpty()) return "a configuration needs at least one voter";
    for (String learner : learners) {
      if (voters.contains(learner) || votersOutgoing.contains(learner)) {
        return learner + " cannot be both a voter and a learner";
      }
    }
    for (String next : learnersNext) {
      if (!votersOutgoing.contains(next)) {
        return next + " is a learner-next but not an outgoing voter: only a joint change demotes a voter that way";
      }
      if (voters.contains(next)) return next + " cannot be both an incoming voter and a learner-next";
    }
    return null;
  }

  public boolean isJoint() {
    return !votersOutgoing.isEmpty();
  }

  /** May this member vote, in either half of a joint configuration? */
  public boolean isVoter(String member) {
    return voters.contains(member) || votersOutgoing.contains(member);
  }

  /** Is this member a learner now? A learner-next still votes in C_old, so it is not one yet. */
  public boolean isLearner(String member) {
    return learners.contains(member);
  }

  /** Every member the leader replicates to, itself included: voters of both halves and learners. */
  public Set<String> members() {
    SortedSet<String> all = new TreeSet<>(voters);
    all.addAll(votersOutgoing);
    all.addAll(learners);
    return Collections.unmodifiableSortedSet(all);
  }

  private static Set<String> sorted(Set<String> members) {
    for (String m : members) if (m == null) throw new IllegalArgumentException("a member id is null");
    return Collections.unmodifiableSortedSet(new TreeSet<>(members));
  }
}
