package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.scenarios.MembershipFaults.addLearner;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.ask;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.assertAllMembersApplied;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.awaitSimpleCommitted;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.carriesJoint;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.carriesSimple;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.changeAsAClient;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.configurations;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.promote;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.sorted;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership changes under faults (thesis §4), in the simulation: random changes while the network loses,
 * duplicates and reorders messages and partitions the group; a leader crash at every step of a joint
 * change; removing the leader under load and a follower that is down; a learner that never catches up; a
 * configuration entry truncated by a new leader. Each checks Election Safety and State Machine Safety (the
 * {@link io.pekkoraft.consensus.sim.SafetyChecker}), that no server stopped on its own, that every
 * acknowledged command is applied by every member that matters, and that the group goes on committing.
 */
class MembershipFaultScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int ROUNDS = 40;
  private static final List<String> ALL = List.of("node-1", "node-2", "node-3", "node-4", "node-5", "node-6");

  // ---- 1. random changes under message loss, duplication, reordering, partitions and crashes ----

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {9101, 9102, 9103})
  void randomChangesUnderLossReorderingPartitionsAndCrashes(long seed) {
    randomChanges(seed, false);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {9111, 9112})
  void randomChangesWithCrashesOnADiskThatLosesUnflushedWrites(long seed) {
    // Writes become durable only as time moves: a crash loses the latest entries, configuration entries too.
    randomChanges(seed, true);
  }

  private static void randomChanges(long seed, boolean slowDisk) {
    try (SimCluster c = SimCluster.start(3, seed)) {
      c.setSlowDisk(slowDisk);
      Random random = new Random(seed);
      c.awaitOneLeader(WAIT);
      for (String joiner : List.of("node-4", "node-5", "node-6")) c.startJoining(joiner);
      c.network.setUnreliable(true);
      c.network.setFaultRates(0.1, 0.05, 30);
      Clients clients = new Clients(3);
      int changed = 0;
      List<String> made = new ArrayList<>();
      Membership view = null;

      for (int round = 0; round < ROUNDS; round++) {
        // Faults: heal or cut the network, crash one node, bring crashed ones back.
        for (String m : ALL) if (!c.isRunning(m) && random.nextInt(2) == 0) c.restart(m);
        int fault = random.nextInt(10);
        if (fault < 5) {
          c.network.heal();
        } else if (fault < 7) {
          Set<String> side = new TreeSet<>();
          for (String m : ALL) if (random.nextBoolean()) side.add(m);
          Set<String> other = new TreeSet<>(ALL);
          other.removeAll(side);
          c.network.heal();
          c.network.partition(side, other);
        } else if (fault < 9) {
          c.network.heal();
          c.network.isolate(ALL.get(random.nextInt(ALL.size())));
        } else {
          String m = ALL.get(random.nextInt(ALL.size()));
          if (c.isRunning(m) && ALL.stream().filter(c::isRunning).count() > (slowDisk ? 3 : 4)) c.crash(m);
        }

        // One membership change, decided on the last membership seen, as a client would.
        if (view == null || view.isJoint() || !view.committed()) {
          MembershipReply.Status s = status(c, ALL);
          view = s == null ? null : s.membership();
        }
        CompletableFuture<MembershipReply> reply = null;
        ConfigurationChange change = view == null ? null : randomChange(view, random);
        if (change != null) {
          List<String> running = ALL.stream().filter(c::isRunning).toList();
          reply = c.changeMembership(running.get(random.nextInt(running.size())), change, MembershipFaults.ANY);
        }
        long end = c.nowMs() + 700;
        while (c.nowMs() < end) {
          clients.step(c, random);
          c.advance(Duration.ofMillis(10));
        }
        MembershipReply answer = reply == null ? null : reply.getNow(null);
        if (answer instanceof MembershipReply.Changed ok) {
          changed++;
          made.add(change.toString());
          view = ok.membership();
        } else if (answer instanceof MembershipReply.Refused r) {
          view = r.membership(); // the leader's configuration: decide the next change on it
        } else {
          view = null; // NotLeader, OutcomeUnknown or no answer: read the membership again
        }
      }

      c.network.setUnreliable(false);
      c.network.heal();
      for (String m : ALL) if (!c.isRunning(m)) c.restart(m);
      c.advance(Duration.ofSeconds(3)); // the clients' last answers arrive, or they give up
      List<String> acknowledged = clients.collectAll();
      Membership last = awaitSimpleCommitted(c, ALL, WAIT);
      c.one("final-" + seed, last.voters().size(), true);
      assertAllMembersApplied(c, last, acknowledged);

      assertTrue(changed >= 3, "at least three changes were made: " + made);
      assertTrue(acknowledged.size() >= 50, "the clients' commands kept committing: " + acknowledged.size());
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /** A change that makes sense for {@code m}: keeps 3 to 5 voters; null when m is joint. */
  private static ConfigurationChange randomChange(Membership m, Random random) {
    if (m.isJoint()) return null;
    List<String> voters = new ArrayList<>(sorted(m.voters()));
    List<String> learners = new ArrayList<>(sorted(m.learners()));
    List<String> outside = new ArrayList<>(ALL);
    outside.removeAll(voters);
    outside.removeAll(learners);
    for (int attempt = 0; attempt < 10; attempt++) {
      switch (random.nextInt(6)) {
        case 0:
          if (!outside.isEmpty()) return new ConfigurationChange.AddLearner(pick(outside, random), null);
          break;
        case 1:
          if (!learners.isEmpty() && voters.size() < 5) return new ConfigurationChange.Promote(pick(learners, random));
          break;
        case 2:
          if (voters.size() > 3) return new ConfigurationChange.Demote(pick(voters, random));
          break;
        case 3:
          if (!learners.isEmpty()) return new ConfigurationChange.Remove(pick(learners, random));
          if (voters.size() > 3) return new ConfigurationChange.Remove(pick(voters, random));
          break;
        default:
          // Through joint: a new set of 3 to 5 voters among the members, learners the rest.
          List<String> pool = new ArrayList<>(voters);
          pool.addAll(learners);
          java.util.Collections.shuffle(pool, random);
          int n = Math.min(pool.size(), 3 + random.nextInt(3));
          Set<String> next = new TreeSet<>(pool.subList(0, n));
          if (next.equals(new TreeSet<>(voters))) break;
          Set<String> rest = new TreeSet<>(pool.subList(n, pool.size()));
          return new ConfigurationChange.ChangeVoters(next, rest, Map.of());
      }
    }
    return null;
  }

  private static String pick(List<String> from, Random random) {
    return from.get(random.nextInt(from.size()));
  }

  /**
   * Simulated clients: one command outstanding each, sent to a random running node (which forwards it to
   * the leader); a command answered Applied is acknowledged, one not answered within 3 s given up on.
   */
  private static final class Clients {
    private final int n;
    private final String[] command;
    private final ReplyBox[] box;
    private final long[] sentAt;
    private final int[] sequence;
    private final List<String> acknowledged = new ArrayList<>();
    int submitted;

    Clients(int n) {
      this.n = n;
      command = new String[n];
      box = new ReplyBox[n];
      sentAt = new long[n];
      sequence = new int[n];
    }

    void step(SimCluster c, Random random) {
      for (int i = 0; i < n; i++) {
        if (box[i] != null && box[i].first() == null && c.nowMs() - sentAt[i] < 3000) continue;
        collect(i);
        List<String> running = ALL.stream().filter(c::isRunning).toList();
        command[i] = "c" + i + "-" + sequence[i]++;
        box[i] = c.submit(running.get(random.nextInt(running.size())), command[i]);
        sentAt[i] = c.nowMs();
        submitted++;
      }
    }

    private void collect(int i) {
      if (box[i] != null && box[i].first() instanceof ClientReply.Applied) acknowledged.add(command[i]);
      box[i] = null;
    }

    List<String> collectAll() {
      for (int i = 0; i < n; i++) collect(i);
      return List.copyOf(acknowledged);
    }
  }

  // ---- 2. a leader crash at every step of a joint change ----

  /** Where the leader crashes in its joint change. */
  enum JointStep {
    /** C(old,new) appended by the leader, sent to no one. */
    APPENDED,
    /** C(old,new) held by some, not by a quorum of both halves. */
    REACHED_SOME,
    /** C(old,new) committed; C(new) appended but sent to no one. */
    JOINT_COMMITTED,
    /** C(new) held by one more member, not committed. */
    NEW_APPENDED
  }

  @ParameterizedTest(name = "3 to 5, crash when {0}")
  @EnumSource(JointStep.class)
  void aLeaderCrashDuringAJointChangeFromThreeToFiveVoters(JointStep step) {
    try (SimCluster c = SimCluster.start(3, 9200 + step.ordinal())) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 3, true);
      c.startJoining("node-4");
      c.startJoining("node-5");
      addLearner(c, ALL.subList(0, 3), "node-4");
      addLearner(c, ALL.subList(0, 3), "node-5");
      assertTrue(c.advanceUntil(() -> c.checker.applied("node-5").contains("before"), WAIT));
      Set<String> old = Set.of("node-1", "node-2", "node-3");
      Set<String> next = Set.of("node-1", "node-2", "node-3", "node-4", "node-5");
      crashDuringJointChange(c, leader, old, next, step, List.of("node-4", "node-5"));
    }
  }

  @ParameterizedTest(name = "5 to 3, crash when {0}")
  @EnumSource(JointStep.class)
  void aLeaderCrashDuringAJointChangeFromFiveToThreeVoters(JointStep step) {
    try (SimCluster c = SimCluster.start(5, 9300 + step.ordinal())) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 5, true);
      // The leader is among the outgoing voters: the new configuration is three of the others.
      List<String> others = new ArrayList<>(ALL.subList(0, 5));
      others.remove(leader);
      Set<String> next = new TreeSet<>(others.subList(1, 4));
      Set<String> old = new TreeSet<>(ALL.subList(0, 5));
      // REACHED_SOME: the one outgoing follower gets C(old,new): 2 of 5 old voters, 0 of 3 new.
      crashDuringJointChange(c, leader, old, next, step, List.of(others.get(0)));
    }
  }

  /**
   * The leader changes voters {@code old} to {@code next}; the network stops the change at {@code step}
   * and the leader crashes. Whatever configuration the next leader finds, the group ends in a simple
   * committed configuration (old or new, never joint), with one leader per term and every command
   * acknowledged before it applied everywhere; the crashed leader comes back and agrees.
   */
  private static void crashDuringJointChange(SimCluster c, String leader, Set<String> old, Set<String> next,
      JointStep step, List<String> reachedSome) {
    List<String> nodes = new ArrayList<>(new TreeSet<>(union(old, next)));
    switch (step) {
      case APPENDED -> c.network.dropWhen((from, to, m) -> from.equals(leader) && carriesJoint(m));
      case REACHED_SOME -> c.network.dropWhen((from, to, m) -> from.equals(leader) && carriesJoint(m)
          && !reachedSome.contains(to));
      case JOINT_COMMITTED -> c.network.dropWhen((from, to, m) -> from.equals(leader) && carriesSimple(m, next));
      case NEW_APPENDED -> c.network.dropWhen((from, to, m) -> from.equals(leader) && carriesSimple(m, next)
          && !to.equals(firstOf(next, leader)));
    }
    var reply = c.changeMembership(leader, new ConfigurationChange.ChangeVoters(next, Set.of(), Map.of()),
        MembershipFaults.ANY);
    c.advance(Duration.ofMillis(300));
    assertFalse(reply.isDone(), "the change did not finish while the network held it: " + reply.getNow(null));
    MembershipReply.Status before = (MembershipReply.Status) status(c, List.of(leader));
    assertNotNull(before);
    Membership atCrash = before.membership();
    switch (step) {
      case APPENDED, REACHED_SOME -> {
        assertTrue(atCrash.isJoint() && !atCrash.committed(), "C(old,new) uncommitted: " + atCrash);
      }
      case JOINT_COMMITTED, NEW_APPENDED -> {
        assertTrue(!atCrash.isJoint() && !atCrash.committed() && atCrash.voters().equals(next)
            && before.commitIndex() == atCrash.configurationIndex() - 1, "C(old,new) committed, C(new) not: "
            + before);
      }
    }
    c.crash(leader);
    c.network.dropNothing();

    List<String> survivors = nodes.stream().filter(n -> !n.equals(leader)).toList();
    Membership after = awaitSimpleCommitted(c, survivors, Duration.ofSeconds(15));
    Set<String> expected = switch (step) {
      case APPENDED -> old;
      case REACHED_SOME -> after.voters(); // either: a leader holding C(old,new) finishes it, one without drops it
      case JOINT_COMMITTED, NEW_APPENDED -> next;
    };
    assertEquals(sorted(expected), sorted(after.voters()), "the configuration after the crash: " + after);
    assertTrue(after.voters().equals(old) || after.voters().equals(next), "old or new voters: " + after);
    MembershipReply answer = reply.getNow(null);
    assertTrue(answer instanceof MembershipReply.OutcomeUnknown, "the crashed leader's client learnt: " + answer);

    c.restart(leader);
    List<String> members = new ArrayList<>(sorted(after.voters()));
    c.one("after", members.size(), true);
    Membership settled = awaitSimpleCommitted(c, nodes, WAIT);
    assertEquals(sorted(after.voters()), sorted(settled.voters()));
    assertAllMembersApplied(c, settled, List.of("before", "after"));
    for (String n : nodes) {
      RaftRole expectedRole = settled.voters().contains(n) ? null : RaftRole.LEARNER;
      if (expectedRole != null) {
        assertTrue(c.advanceUntil(() -> c.role(n) == RaftRole.LEARNER, WAIT), n + " is not a voter: " + c.role(n));
      } else {
        assertTrue(c.advanceUntil(() -> c.role(n) == RaftRole.FOLLOWER || c.role(n) == RaftRole.LEADER, WAIT),
            n + " is a voter: " + c.role(n));
      }
    }
    assertEquals(1, c.leaders().size(), "one leader: " + c.leaders());
    c.checker.assertSafe();
    assertEquals(List.of(), c.stoppedOnTheirOwn());
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  private static String firstOf(Set<String> s, String except) {
    return new TreeSet<>(s).stream().filter(x -> !x.equals(except)).findFirst().orElseThrow();
  }

  // ---- 3. removing the leader under load; removing a follower that is down ----

  @Test
  void removingTheLeaderWhileCommandsGoOn() {
    try (SimCluster c = SimCluster.start(5, 9401)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 5, true);
      Random random = new Random(9401);
      Clients clients = new Clients(3);
      for (int i = 0; i < 30; i++) {
        clients.step(c, random);
        c.advance(Duration.ofMillis(10));
      }
      var reply = c.changeMembership(leader, new ConfigurationChange.Remove(leader), MembershipFaults.ANY);
      long end = c.nowMs() + 3000;
      while (c.nowMs() < end) {
        clients.step(c, random);
        c.advance(Duration.ofMillis(10));
      }
      Membership after = assertInstanceOf(MembershipReply.Changed.class, reply.getNow(null), "" + reply.getNow(null))
          .membership();
      assertFalse(after.voters().contains(leader) || after.learners().contains(leader), after.toString());
      assertEquals(RaftRole.LEARNER, c.role(leader), "the removed leader stepped down");
      int acknowledgedByThen = clients.collectAll().size();
      end = c.nowMs() + 2000;
      while (c.nowMs() < end) {
        clients.step(c, random);
        c.advance(Duration.ofMillis(10));
      }
      c.advance(Duration.ofSeconds(3));
      List<String> acknowledged = clients.collectAll();
      assertTrue(acknowledged.size() > acknowledgedByThen + 20, "commands went on committing after the removal: "
          + acknowledgedByThen + " then " + acknowledged.size());
      Set<String> leaders = c.leaders();
      assertEquals(1, leaders.size());
      assertFalse(leaders.contains(leader));
      assertAllMembersApplied(c, awaitSimpleCommitted(c, ALL.subList(0, 5), WAIT), acknowledged);
      assertEquals(RaftRole.LEARNER, c.role(leader), "the removed leader never campaigns again");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void removingAFollowerThatIsDownAndItComingBackDisturbsNothing() {
    try (SimCluster c = SimCluster.start(5, 9402)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 5, true);
      String down = ALL.subList(0, 5).stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
      c.crash(down);
      List<String> nodes = ALL.subList(0, 5);
      Membership after = changeAsAClient(c, nodes, new ConfigurationChange.Remove(down),
          m -> !m.voters().contains(down), WAIT);
      assertEquals(4, after.voters().size());
      // Four voters: one more down still leaves a quorum (3 of 4), which 3 of 5 with `down` counted would not.
      String second = nodes.stream().filter(n -> !n.equals(leader) && !n.equals(down)).findFirst().orElseThrow();
      c.crash(second);
      c.one("with two down", 3, true);
      long term = c.term(leader);
      // The removed node comes back with a log that still names it a voter: it never disturbs the group.
      c.restart(down);
      c.advance(Duration.ofSeconds(5));
      assertEquals(Set.of(leader), c.leaders());
      assertEquals(term, c.term(leader), "the removed node's elections raised no one's term");
      c.restart(second);
      c.one("after", 4, true);
      assertAllMembersApplied(c, awaitSimpleCommitted(c, nodes, WAIT), List.of("before", "with two down", "after"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  // ---- 4. a learner that never catches up ----

  @Test
  void anIsolatedLearnerIsNeverPromotedAndNeverCounts() {
    try (SimCluster c = SimCluster.start(3, 9501)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 3, true);
      c.startJoining("node-4");
      c.network.isolate("node-4");
      addLearner(c, ALL.subList(0, 3), "node-4");
      for (int i = 0; i < 5; i++) {
        MembershipReply reply = ask(c, leader, new ConfigurationChange.Promote("node-4"), WAIT);
        MembershipReply.Refused refused = assertInstanceOf(MembershipReply.Refused.class, reply, "" + reply);
        assertEquals(MembershipReply.RefusalReason.NOT_CAUGHT_UP, refused.reason(), refused.message());
        c.one("meanwhile-" + i, 3, true);
        c.advance(Duration.ofMillis(500));
      }
      // Nothing counts it: with one voter down, the other two still commit (2 of 3, not 2 of 4).
      String down = ALL.subList(0, 3).stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
      c.crash(down);
      c.one("with one voter down", 2, true);
      assertEquals(List.of(), c.checker.applied("node-4"));
      assertEquals(RaftRole.LEARNER, c.role("node-4"));
      MembershipReply.Status s = status(c, List.of(leader));
      assertEquals(Set.of("node-4"), s.membership().learners());
      assertFalse(s.progress().get("node-4").recentlyHeard());
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aLearnerThatGetsNoEntriesIsRefusedPromotionUntilItCatchesUp() {
    try (SimCluster c = SimCluster.start(3, 9502)) {
      String leader = c.awaitOneLeader(WAIT);
      for (int i = 0; i < 10; i++) c.one("before-" + i, 3, true);
      c.startJoining("node-4");
      // Too slow: node-4 hears heartbeats (the leader hears back from it) but every entry to it is lost.
      c.network.dropWhen((from, to, m) -> to.equals("node-4") && m instanceof AppendEntries ae
          && !ae.entries().isEmpty());
      addLearner(c, ALL.subList(0, 3), "node-4");
      for (int i = 0; i < 5; i++) {
        MembershipReply reply = ask(c, "node-2", new ConfigurationChange.Promote("node-4"), WAIT);
        MembershipReply.Refused refused = assertInstanceOf(MembershipReply.Refused.class, reply, "" + reply);
        assertEquals(MembershipReply.RefusalReason.NOT_CAUGHT_UP, refused.reason(), refused.message());
        c.one("meanwhile-" + i, 3, true);
        c.advance(Duration.ofMillis(500));
      }
      assertTrue(status(c, List.of(leader)).progress().get("node-4").recentlyHeard(), "the leader hears from it");
      assertEquals(List.of(), c.checker.applied("node-4"));
      c.network.dropNothing();
      Membership promoted = promote(c, ALL.subList(0, 4), "node-4");
      assertTrue(promoted.voters().contains("node-4"));
      c.one("after", 4, true);
      assertAllMembersApplied(c, promoted, List.of("before-0", "meanwhile-4", "after"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  // ---- 5. a configuration entry truncated by a new leader ----

  @Test
  void aDemotedFollowerWhoseDemotionIsOverwrittenIsAFollowerAgain() {
    try (SimCluster c = SimCluster.start(5, 9601)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 5, true);
      String victim = ALL.subList(0, 5).stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
      // The demotion reaches the victim only: it is a learner at once (in effect on append), uncommitted.
      c.network.dropWhen((from, to, m) -> from.equals(leader) && !to.equals(victim) && !configurations(m).isEmpty());
      var reply = c.changeMembership(leader, new ConfigurationChange.Demote(victim), MembershipFaults.ANY);
      assertTrue(c.advanceUntil(() -> c.role(victim) == RaftRole.LEARNER, WAIT), victim + " " + c.role(victim));
      assertFalse(reply.isDone());
      c.crash(leader);
      c.network.dropNothing();
      // Three of the old five voters elect a leader without the entry; it overwrites the victim's.
      assertTrue(c.advanceUntil(() -> c.role(victim) == RaftRole.FOLLOWER, Duration.ofSeconds(15)),
          "the victim's demotion was rolled back: " + c.role(victim));
      Membership m = awaitSimpleCommitted(c, ALL.subList(0, 5), WAIT);
      assertEquals(5, m.voters().size(), m.toString());
      assertInstanceOf(MembershipReply.OutcomeUnknown.class, reply.getNow(null));
      c.restart(leader);
      c.one("after", 5, true);
      assertAllMembersApplied(c, m, List.of("before", "after"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aDemotionInAGroupOfThreeHeldOnlyByTheDemotedVoterResolvesWhenTheLeaderReturns() {
    // Three voters; the demotion of node-x reaches node-x alone, then the leader crashes. The configuration
    // node-x holds has two voters, one of them down, and node-x's longer log gets the other survivor no
    // vote: like any change to two voters, this one tolerates no failure until it is resolved (thesis
    // §4.2). Once the crashed leader is back, a leader is elected, the group ends in a simple committed
    // configuration and node-x's role is what that configuration says.
    try (SimCluster c = SimCluster.start(3, 9603)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 3, true);
      String victim = ALL.subList(0, 3).stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
      c.network.dropWhen((from, to, m) -> from.equals(leader) && !to.equals(victim) && !configurations(m).isEmpty());
      var reply = c.changeMembership(leader, new ConfigurationChange.Demote(victim), MembershipFaults.ANY);
      assertTrue(c.advanceUntil(() -> c.role(victim) == RaftRole.LEARNER, WAIT), victim + " " + c.role(victim));
      c.crash(leader);
      c.network.dropNothing();
      c.advance(Duration.ofSeconds(3));
      assertInstanceOf(MembershipReply.OutcomeUnknown.class, reply.getNow(null));
      c.restart(leader);
      Membership settled = awaitSimpleCommitted(c, ALL.subList(0, 3), Duration.ofSeconds(15));
      RaftRole expected = settled.voters().contains(victim) ? RaftRole.FOLLOWER : RaftRole.LEARNER;
      assertTrue(c.advanceUntil(() -> c.role(victim) == expected || c.role(victim) == RaftRole.LEADER, WAIT),
          victim + " in " + settled + " is " + c.role(victim));
      c.one("after", settled.voters().size(), true);
      assertAllMembersApplied(c, settled, List.of("before", "after"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /**
   * node-4 joins as a learner and catches up; its promotion reaches node-4 only (it is a voter, a
   * follower, at once, uncommitted), and the leader crashes. Returns the crashed leader.
   */
  private static String promotionReachingOnlyTheLearnerThenLeaderCrash(SimCluster c) {
    String leader = c.awaitOneLeader(WAIT);
    c.one("before", 3, true);
    c.startJoining("node-4");
    addLearner(c, ALL.subList(0, 3), "node-4");
    assertTrue(c.advanceUntil(() -> c.checker.applied("node-4").contains("before"), WAIT));
    c.advance(Duration.ofSeconds(1));
    c.network.dropWhen((from, to, m) -> from.equals(leader) && !to.equals("node-4") && !configurations(m).isEmpty());
    assertEquals(null, ask(c, leader, new ConfigurationChange.Promote("node-4"), Duration.ofMillis(300)),
        "the promotion is not committed");
    assertTrue(c.advanceUntil(() -> c.role("node-4") == RaftRole.FOLLOWER, WAIT), "node-4 " + c.role("node-4"));
    c.crash(leader);
    return leader;
  }

  @Test
  void votersThatLackTheEntryPromotingACandidateStillVoteForItsMoreUpToDateLog() {
    // Thesis §4.1: servers vote without consulting their configuration. The promotion reaches node-4 only,
    // and the leader crashes: node-4 is a voter in its own configuration, not in the others'. Its log is
    // the most up-to-date, so they vote for it (the refusal of non-voters is for candidates whose log is
    // behind, like a removed server's), and it leads and commits its promotion: no election is stuck.
    try (SimCluster c = SimCluster.start(3, 9603)) {
      String leader = promotionReachingOnlyTheLearnerThenLeaderCrash(c);
      c.network.dropNothing();
      assertTrue(c.advanceUntil(() -> c.leaders().size() == 1, Duration.ofSeconds(15)), "a leader: " + c.leaders());
      Membership m = awaitSimpleCommitted(c, ALL.subList(0, 4), WAIT);
      assertTrue(m.voters().contains("node-4"), "the promotion committed: " + m);
      c.restart(leader);
      c.one("after", 4, true);
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aPromotedLearnerWhosePromotionIsOverwrittenIsALearnerAgain() {
    try (SimCluster c = SimCluster.start(3, 9602)) {
      String leader = promotionReachingOnlyTheLearnerThenLeaderCrash(c);
      c.network.dropNothing();
      // The two other voters elect a leader while node-4 is cut off (it could win otherwise: its log, with
      // the promotion, is more up-to-date than theirs, so they would vote for it), which overwrites the entry.
      c.network.isolate("node-4");
      List<String> others = ALL.subList(0, 3).stream().filter(m -> !m.equals(leader)).toList();
      assertTrue(c.advanceUntil(() -> others.stream().anyMatch(m -> c.role(m) == RaftRole.LEADER), WAIT),
          "no leader among " + others);
      c.network.reconnect("node-4");
      assertTrue(c.advanceUntil(() -> c.role("node-4") == RaftRole.LEARNER, Duration.ofSeconds(15)),
          "node-4's promotion was rolled back: " + c.role("node-4"));
      Membership m = awaitSimpleCommitted(c, ALL.subList(0, 4), WAIT);
      assertEquals(Set.of("node-4"), m.learners(), m.toString());
      c.restart(leader);
      c.one("after", 4, true);
      assertAllMembersApplied(c, m, List.of("before", "after"));
      assertEquals(RaftRole.LEARNER, c.role("node-4"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }
}
