package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Membership changes through the servers (thesis §4), in the simulation: a node that joins waits as a
 * non-member, is added as a learner, catches up, is promoted; voters are removed one at a time or changed
 * through joint consensus, which the leader leaves on its own; a leader that removes itself steps down.
 */
class MembershipScenariosTest {

  private static final long ANY = MembershipRequest.ANY_CONFIGURATION;
  private static final Duration WAIT = Duration.ofSeconds(10);

  static MembershipReply change(SimCluster c, String via, ConfigurationChange change) {
    var reply = c.changeMembership(via, change, ANY);
    assertTrue(c.advanceUntil(reply::isDone, WAIT), "no answer to " + change);
    return reply.join();
  }

  static Membership changed(SimCluster c, String via, ConfigurationChange change) {
    MembershipReply reply = change(c, via, change);
    return assertInstanceOf(MembershipReply.Changed.class, reply, change + " answered " + reply).membership();
  }

  /** Promote {@code id}, asking again while the leader answers NOT_CAUGHT_UP. */
  static Membership promoteWhenCaughtUp(SimCluster c, String via, String id) {
    for (int i = 0; i < 50; i++) {
      MembershipReply reply = change(c, via, new ConfigurationChange.Promote(id));
      if (reply instanceof MembershipReply.Changed ok) return ok.membership();
      MembershipReply.Refused refused = assertInstanceOf(MembershipReply.Refused.class, reply, reply.toString());
      assertEquals(MembershipReply.RefusalReason.NOT_CAUGHT_UP, refused.reason(), refused.message());
      c.advance(Duration.ofMillis(200));
    }
    throw new AssertionError(id + " never caught up");
  }

  @Test
  void aJoiningNodeWaitsIsAddedAsALearnerCatchesUpAndIsPromoted() {
    try (SimCluster c = SimCluster.start(3, 4101)) {
      String leader = c.awaitOneLeader(WAIT);
      for (int i = 0; i < 20; i++) c.one("x" + i, 3, true);
      c.startJoining("node-4");
      c.advance(Duration.ofSeconds(3));
      assertEquals(RaftRole.LEARNER, c.role("node-4"), "a node that no configuration names waits, never campaigns");
      assertEquals(List.of(), c.checker.applied("node-4"));

      Membership added = changed(c, leader, new ConfigurationChange.AddLearner("node-4", null));
      assertEquals(Set.of("node-4"), added.learners());
      boolean caughtUp = c.advanceUntil(() -> c.checker.applied("node-4").size() >= 20, WAIT);
      assertTrue(caughtUp, "the learner caught up: " + c.checker.applied("node-4") + " " + c.role("node-4") + " "
          + c.getMembership(leader).join());

      // A learner serves STALE reads from its own state machine, and forwards linearizable ones to the leader.
      var stale = c.read("node-4", io.pekkoraft.consensus.ReadConsistency.STALE);
      assertTrue(c.advanceUntil(() -> stale.first() != null, WAIT));
      assertEquals(20L, assertInstanceOf(io.pekkoraft.consensus.protocol.ClientReply.Applied.class, stale.first()).result());
      var linearizable = c.read("node-4", io.pekkoraft.consensus.ReadConsistency.LINEARIZABLE);
      assertTrue(c.advanceUntil(() -> linearizable.first() != null, WAIT));
      assertEquals(20L, assertInstanceOf(io.pekkoraft.consensus.protocol.ClientReply.Applied.class,
          linearizable.first()).result(), "answered by the leader");

      Membership promoted = promoteWhenCaughtUp(c, "node-2", "node-4");
      assertEquals(Set.of("node-1", "node-2", "node-3", "node-4"), promoted.voters());
      assertTrue(c.advanceUntil(() -> c.role("node-4") == RaftRole.FOLLOWER, WAIT));
      c.one("after", 4, true);
      assertEquals(c.checker.applied(leader), c.checker.applied("node-4"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void everyMemberPublishesTheConfigurationWhenAppendedAndAgainWhenCommitted() {
    try (SimCluster c = SimCluster.start(3, 4104)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, true);
      java.util.List<io.pekkoraft.consensus.MembershipChanged> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      c.testKit.system().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Subscribe<>(
          io.pekkoraft.consensus.MembershipChanged.class,
          c.testKit.spawn(org.apache.pekko.actor.typed.javadsl.Behaviors.<io.pekkoraft.consensus.MembershipChanged>receiveMessage(e -> {
            seen.add(e);
            return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
          }))));
      c.settle();
      changed(c, leader, new ConfigurationChange.AddLearner("node-9", "pekko://sim@10.0.0.9:2552"));
      assertTrue(c.advanceUntil(() -> seen.stream().filter(e -> e.membership().committed()).count() >= 3, WAIT),
          "each of the three members published the committed configuration: " + seen);
      for (String m : List.of("node-1", "node-2", "node-3")) {
        List<Membership> of = seen.stream().filter(e -> e.memberId().equals(m)).map(e -> e.membership()).toList();
        assertEquals(2, of.size(), m + " published " + of);
        assertEquals(Set.of("node-9"), of.get(0).learners());
        assertEquals(false, of.get(0).committed(), "first as soon as it was appended");
        assertEquals(true, of.get(1).committed(), "then again once committed");
        assertEquals(Map.of("node-9", "pekko://sim@10.0.0.9:2552"), of.get(1).addresses());
      }
    }
  }

  @Test
  void jointConsensusReplacesTwoVotersAtOnceAndIsLeftOnItsOwn() {
    try (SimCluster c = SimCluster.start(3, 4102)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, true);
      c.startJoining("node-4");
      c.startJoining("node-5");
      changed(c, leader, new ConfigurationChange.AddLearner("node-4", null));
      changed(c, leader, new ConfigurationChange.AddLearner("node-5", null));
      String keep = leader;
      Set<String> target = new java.util.TreeSet<>(Set.of(keep, "node-4", "node-5"));
      Membership after = changed(c, leader, new ConfigurationChange.ChangeVoters(target, Set.of(), Map.of()));
      assertEquals(target, after.voters());
      assertTrue(after.votersOutgoing().isEmpty(), "the joint configuration was left: " + after);
      assertTrue(after.committed());
      c.advance(Duration.ofSeconds(2));
      c.one("b", 3, true);
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aLeaderThatRemovesItselfStepsDownOnceTheRemovalCommits() {
    try (SimCluster c = SimCluster.start(3, 4103)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, true);
      Membership after = changed(c, leader, new ConfigurationChange.Remove(leader));
      assertEquals(2, after.voters().size());
      assertTrue(c.advanceUntil(() -> {
        Set<String> leaders = c.leaders();
        return leaders.size() == 1 && !leaders.contains(leader);
      }, WAIT), "a new leader among the remaining voters: " + c.leaders());
      assertEquals(RaftRole.LEARNER, c.role(leader));
      String next = c.leaders().iterator().next();
      assertNotEquals(leader, next);
      c.advance(Duration.ofSeconds(5));
      assertEquals(RaftRole.LEARNER, c.role(leader), "the removed leader never campaigns again");
      assertEquals(Set.of(next), c.leaders());
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aChangeNamingAnInvalidMemberIdOrAddressIsRefusedAndNothingIsAppended() {
    // A member id names actors and is stored in every configuration entry (MemberIds): a control
    // character (no legal actor name: the servers following it would stop), a slash, or an id of 65
    // characters is refused INVALID_REQUEST before anything is appended, and so is an address that is not
    // a Pekko address or is over-long; the configuration stays as it was, the group keeps serving.
    try (SimCluster c = SimCluster.start(3, 4105)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, true);
      MembershipReply.Status before = assertInstanceOf(MembershipReply.Status.class, status(c, leader));
      List<ConfigurationChange> hostile = List.of(
          new ConfigurationChange.AddLearner("peer-J\u0001", "pekko://sim@10.0.0.9:2552"),
          new ConfigurationChange.AddLearner("a/b", null),
          new ConfigurationChange.AddLearner("x".repeat(65), null),
          new ConfigurationChange.AddLearner("node-9", "pekko://sim@10.0.0.9:2552/" + "x".repeat(600)),
          new ConfigurationChange.AddLearner("node-9", "not an address"),
          new ConfigurationChange.Promote("node 2"),
          new ConfigurationChange.ChangeVoters(Set.of("node-1", "node-2", "node-3"), Set.of("bad\u0000id"), Map.of()),
          new ConfigurationChange.ChangeVoters(Set.of("node-1", "node-2", "node-3"), Set.of(),
              Map.of("node-3\n", "pekko://sim@10.0.0.9:2552")));
      for (ConfigurationChange change : hostile) {
        MembershipReply reply = change(c, leader, change);
        MembershipReply.Refused refused = assertInstanceOf(MembershipReply.Refused.class, reply, change + " answered "
            + reply);
        assertEquals(MembershipReply.RefusalReason.INVALID_REQUEST, refused.reason(), refused.message());
        assertTrue(refused.message().contains("member id") || refused.message().contains("address"),
            refused.message());
      }
      MembershipReply.Status after = assertInstanceOf(MembershipReply.Status.class, status(c, leader));
      assertEquals(before.membership(), after.membership(), "no configuration entry was appended");
      c.one("b", 3, true);
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  static MembershipReply status(SimCluster c, String via) {
    var reply = c.getMembership(via);
    assertTrue(c.advanceUntil(reply::isDone, WAIT), "no answer to GetMembership");
    return reply.join();
  }
}
