package io.pekkoraft.consensus.rules;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
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
 * <p>A configuration also says where its members are and who they are:
 *
 * <ul>
 *   <li>{@code addresses}: member id to its Pekko address ({@code pekko://system@host:port}), for members
 *       added at run time; the bootstrap members' addresses come from {@code pekko-raft.members}. The
 *       transport reaches a member by the address here first.
 *   <li>{@code replicaIds}: member id to the replica id its disk holds (a random number created with its
 *       first journal write), once the leader has learned it. A server that answers under a member's name
 *       with another replica id lost its disk: it is refused votes and appends until it is removed and
 *       added again (see {@code ReplicaIdentity}).
 * </ul>
 *
 * <p>Invariants, checked on construction ({@link #violation}): voters is never empty; no member is both a
 * voter (in either half) and a learner; every member of learnersNext is an outgoing voter and not an
 * incoming one (so learnersNext is empty unless the configuration is joint); addresses and replica ids
 * name members only, and a replica id is never 0. The sets and maps iterate in member-id order, so every
 * node (and every run of a test) sends its messages in the same order; {@code Set.of} would iterate in an
 * order that changes from one JVM to the next.
 */
public record Configuration(
    Set<String> voters, Set<String> votersOutgoing, Set<String> learners, Set<String> learnersNext,
    Map<String, String> addresses, Map<String, Long> replicaIds) {

  public Configuration {
    voters = sorted(voters);
    votersOutgoing = sorted(votersOutgoing);
    learners = sorted(learners);
    learnersNext = sorted(learnersNext);
    addresses = sortedMap(addresses);
    replicaIds = sortedMap(replicaIds);
    String violation = violation(voters, votersOutgoing, learners, learnersNext);
    if (violation == null) violation = detailsViolation(voters, votersOutgoing, learners, addresses, replicaIds);
    if (violation != null) throw new IllegalArgumentException(violation);
  }

  /** A configuration without addresses or replica ids. */
  public Configuration(Set<String> voters, Set<String> votersOutgoing, Set<String> learners, Set<String> learnersNext) {
    this(voters, votersOutgoing, learners, learnersNext, Map.of(), Map.of());
  }

  /** A configuration without learners waiting for the end of a joint change. */
  public Configuration(Set<String> voters, Set<String> votersOutgoing, Set<String> learners) {
    this(voters, votersOutgoing, learners, Set.of());
  }

  /** The same membership with these addresses and replica ids (each kept for members only). */
  public Configuration withDetails(Map<String, String> addresses, Map<String, Long> replicaIds) {
    Set<String> members = members();
    Map<String, String> a = new TreeMap<>(addresses);
    a.keySet().retainAll(members);
    Map<String, Long> r = new TreeMap<>(replicaIds);
    r.keySet().retainAll(members);
    return new Configuration(voters, votersOutgoing, learners, learnersNext, a, r);
  }

  /** The address recorded for {@code member}, or null (a bootstrap member, or one added without). */
  public String address(String member) {
    return addresses.get(member);
  }

  /** The replica id recorded for {@code member}, or 0 when none is yet. */
  public long replicaId(String member) {
    return replicaIds.getOrDefault(member, 0L);
  }

  /** The same members, voters and learners: only addresses or replica ids may differ. */
  public boolean sameMembership(Configuration other) {
    return voters.equals(other.voters) && votersOutgoing.equals(other.votersOutgoing) && learners.equals(other.learners)
        && learnersNext.equals(other.learnersNext);
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

  /** Addresses and replica ids name members only; a replica id is never 0 (0 means "not known"). */
  static String detailsViolation(Set<String> voters, Set<String> votersOutgoing, Set<String> learners,
      Map<String, String> addresses, Map<String, Long> replicaIds) {
    for (String id : addresses.keySet()) {
      if (!voters.contains(id) && !votersOutgoing.contains(id) && !learners.contains(id)) {
        return "an address is recorded for " + id + ", which is not a member";
      }
      if (addresses.get(id).isEmpty()) return "the address of " + id + " is empty";
    }
    for (Map.Entry<String, Long> e : replicaIds.entrySet()) {
      String id = e.getKey();
      if (!voters.contains(id) && !votersOutgoing.contains(id) && !learners.contains(id)) {
        return "a replica id is recorded for " + id + ", which is not a member";
      }
      if (e.getValue() == 0) return "the replica id of " + id + " is 0, which means unknown";
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

  private static <V> Map<String, V> sortedMap(Map<String, V> map) {
    for (Map.Entry<String, V> e : map.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException("a member id or its detail is null");
    }
    return Collections.unmodifiableSortedMap(new TreeMap<>(map));
  }

  private static Set<String> sorted(Set<String> members) {
    for (String m : members) if (m == null) throw new IllegalArgumentException("a member id is null");
    return Collections.unmodifiableSortedSet(new TreeSet<>(members));
  }
}
