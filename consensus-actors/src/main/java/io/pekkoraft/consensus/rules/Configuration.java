package io.pekkoraft.consensus.rules;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Who takes part in a Raft group. In a simple configuration only {@code voters} counts; during joint
 * consensus (§6 of the Raft paper) decisions need a majority of {@code voters} AND a majority of
 * {@code votersOutgoing}. Learners receive the log but never vote and never count towards a quorum.
 *
 * <p>Invariants, checked on construction: voters is never empty, and no member is both a voter (in
 * either set) and a learner. The sets iterate in member-id order, so every node (and every run of a
 * test) sends its messages in the same order; {@code Set.of} would iterate in an order that changes from
 * one JVM to the next.
 */
public record Configuration(Set<String> voters, Set<String> votersOutgoing, Set<String> learners) {

  public Configuration {
    voters = sorted(voters);
    votersOutgoing = sorted(votersOutgoing);
    learners = sorted(learners);
    if (voters.isEmpty()) throw new IllegalArgumentException("a configuration needs at least one voter");
    for (String learner : learners) {
      if (voters.contains(learner) || votersOutgoing.contains(learner)) {
        throw new IllegalArgumentException(learner + " cannot be both a voter and a learner");
      }
    }
  }

  /** A simple (non-joint) configuration of voters only. */
  public static Configuration ofVoters(Set<String> voters) {
    return new Configuration(voters, Set.of(), Set.of());
  }

  public boolean isJoint() {
    return !votersOutgoing.isEmpty();
  }

  /** May this member vote, in either half of a joint configuration? */
  public boolean isVoter(String member) {
    return voters.contains(member) || votersOutgoing.contains(member);
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
