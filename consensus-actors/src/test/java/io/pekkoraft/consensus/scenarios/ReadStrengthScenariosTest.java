package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReadOptions;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * The read strengths besides ReadIndex: LEASE (the leader's clock), FOLLOWER (a read index from the leader,
 * served off it) and bounded STALE reads. Each scenario is built to fail when its rule is taken out.
 */
class ReadStrengthScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  /** Election timeouts of 1000 to 1100 ms, so that a new leader is elected soon after the old one is cut off. */
  private static final String LEASE_ON = "pekko-raft.read.lease = on\npekko-raft.election-timeout-max = 1100ms\n";

  private static String other(SimCluster c, String... not) {
    return c.members().stream().filter(m -> !List.of(not).contains(m)).findFirst().orElseThrow();
  }

  /** A LEASE read at {@code leader}, and what it answered once something answered (or null after 3 s). */
  private static ClientReply leaseRead(SimCluster c, String leader) {
    ReplyBox read = c.read(leader, ReadConsistency.LEASE);
    c.advanceUntil(() -> read.first() != null, Duration.ofSeconds(3));
    return read.first();
  }

  /**
   * The old leader's clock runs at half speed (a slow clock, a VM paused and resumed) and it is cut off. The
   * others elect a new leader once their leader contact (election-timeout-min = 1000 ms on their clocks)
   * ran out, and commit a write. The old leader has not noticed yet (check-quorum has not run out either),
   * and a read arrives: how long does its lease hold? Returns what the read answered.
   */
  private static ClientReply readAtDeposedLeaderWithSlowClock(long seed, String margin) {
    try (SimCluster c = SimCluster.start(3, seed, LEASE_ON + "pekko-raft.read.lease-clock-drift-margin = " + margin)) {
      String old = c.awaitOneLeader(WAIT);
      c.one("before", 3, false);
      c.skewClock(old, 0.5);
      c.advance(Duration.ofMillis(450)); // lease rounds confirmed on the slow clock
      ClientReply fresh = leaseRead(c, old);
      assertEquals(1L, assertInstanceOf(ClientReply.Applied.class, fresh).result(), "the lease serves at first");
      c.network.isolate(old);
      c.one("after", 2, true);
      assertEquals(RaftRole.LEADER, c.role(old), "the scenario needs the old leader not to have stepped down yet");
      ClientReply answer = leaseRead(c, old);
      c.checker.assertSafe();
      return answer;
    }
  }

  @Test
  void theClockDriftMarginKeepsADeposedLeaderWithASlowClockFromServingAStaleRead() {
    // Lease = 1000 ms - 500 ms of margin, i.e. 1000 ms of real time on a clock at half speed: it ran out
    // before any follower stopped refusing to elect another leader, so the read is not served from the lease.
    ClientReply answer = readAtDeposedLeaderWithSlowClock(8101, "500ms");
    assertFalse(answer instanceof ClientReply.Applied, "stale read served by a deposed leader: " + answer);
  }

  @Test
  void withoutAMarginTheDeposedLeaderServesAStaleRead() {
    // The same run with margin 0: a lease of 1000 ms on the slow clock is 2000 ms of real time, and the
    // old leader answers from its lease a state without the write the new leader acknowledged. This is the
    // danger written next to pekko-raft.read.lease-clock-drift-margin.
    ClientReply answer = readAtDeposedLeaderWithSlowClock(8101, "0ms");
    assertEquals(1L, assertInstanceOf(ClientReply.Applied.class, answer).result(), "the lease answered the old state");
  }

  @Test
  void theLeaseEndsWhenALeadershipTransferStarts() {
    // The target of a transfer campaigns with transfer = true, which voters grant although they still hear
    // from the leader: the lease keeps no other leader away any more. Here the old leader is cut off right
    // after its TimeoutNow leaves, the target wins and commits, and a LEASE read reaches the old leader.
    try (SimCluster c = SimCluster.start(3, 8102, LEASE_ON)) {
      String old = c.awaitOneLeader(WAIT);
      c.one("before", 3, false);
      c.advance(Duration.ofMillis(300));
      String target = other(c, old);
      AtomicBoolean cut = new AtomicBoolean();
      c.network.dropWhen((from, to, m) -> {
        if (m instanceof RaftMessage.TimeoutNow) {
          cut.set(true);
          return false;
        }
        return cut.get() && (from.equals(old) || to.equals(old));
      });
      c.server(old).tell(new TransferLeadership(target, false,
          c.testKit.spawn(Behaviors.<TransferReply>ignore())));
      assertTrue(c.advanceUntil(() -> c.role(target) == RaftRole.LEADER, WAIT), "the target took over");
      c.one("after", 2, true);
      assertEquals(RaftRole.LEADER, c.role(old), "the old leader has not heard of its successor");
      ClientReply answer = leaseRead(c, old);
      assertFalse(answer instanceof ClientReply.Applied, "stale read served from a lease during a transfer: " + answer);
      c.checker.assertSafe();
    }
  }

  @Test
  void theLeaseEndsOnStepDown() {
    // A leader whose clock runs at a tenth of the speed would hold its lease for 10 s of real time; cut off,
    // check-quorum makes it step down within two election timeouts, and from then on a LEASE read is not
    // served from its state: the lease belongs to the leadership and ends with it.
    try (SimCluster c = SimCluster.start(3, 8103, LEASE_ON + "pekko-raft.read.lease-clock-drift-margin = 0ms")) {
      String old = c.awaitOneLeader(WAIT);
      c.one("before", 3, false);
      c.skewClock(old, 0.1);
      c.advance(Duration.ofMillis(450));
      c.network.isolate(old);
      assertTrue(c.advanceUntil(() -> c.role(old) != RaftRole.LEADER, WAIT), "check-quorum made it step down");
      ReplyBox read = c.read(old, ReadConsistency.LEASE);
      c.settle();
      assertInstanceOf(ClientReply.NotLeader.class, read.first(), "a deposed leader serves no LEASE read");
    }
  }

  @Test
  void withoutTheLeaseSettingLeaseReadsAreServedByReadIndex() {
    // pekko-raft.read.lease is off by default: a LEASE read costs a heartbeat round, like LINEARIZABLE.
    try (SimCluster c = SimCluster.start(3, 8104)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("x", 3, false);
      long before = c.network.sent("Heartbeat");
      ReplyBox read = c.read(leader, ReadConsistency.LEASE);
      c.settle();
      assertEquals(1L, assertInstanceOf(ClientReply.Applied.class, read.first()).result());
      assertEquals(2, c.network.sent("Heartbeat") - before, "one heartbeat round confirmed it");
    }
  }

  @Test
  void aFollowerReadWaitsUntilTheFollowerAppliedTheLeadersReadIndex() {
    // A FOLLOWER read gets the leader's commit index, which includes a write the follower has not received
    // yet: the follower answers only once it has applied that far, never with its older state.
    try (SimCluster c = SimCluster.start(3, 8105)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, false);
      String follower = other(c, leader);
      c.network.dropWhen((from, to, m) -> to.equals(follower) && m instanceof RaftMessage.AppendEntries);
      c.one("b", 2, false); // acknowledged; the follower has not got it
      long requestsBefore = c.network.sent("ReadIndexRequest");
      ReplyBox read = c.read(follower, ReadConsistency.FOLLOWER);
      c.advance(Duration.ofMillis(100));
      assertEquals(1, c.network.sent("ReadIndexRequest") - requestsBefore, "the follower asked the leader");
      assertNull(read.first(), "served before the follower applied the read index: " + read.first());
      c.network.dropNothing();
      assertTrue(c.advanceUntil(() -> read.first() != null, WAIT));
      assertEquals(2L, assertInstanceOf(ClientReply.Applied.class, read.first()).result(),
          "the follower's own state, once it caught up");
      c.checker.assertSafe();
    }
  }

  @Test
  void aFollowerReadWithoutALeaderIsNotLeader() {
    // A follower that knows no leader cannot get a read index: not served, safe to retry.
    try (SimCluster c = SimCluster.start(3, 8106)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("a", 3, false);
      String follower = other(c, leader);
      c.network.isolate(follower);
      assertTrue(c.advanceUntil(() -> c.role(follower) != RaftRole.FOLLOWER, WAIT), "it campaigns");
      ReplyBox read = c.read(follower, ReadConsistency.FOLLOWER);
      c.settle();
      assertInstanceOf(ClientReply.NotLeader.class, read.first());
    }
  }

  @Test
  void aLearnerServesFollowerReadsAsAReadReplica() {
    // A learner answers FOLLOWER reads from its own state machine, linearizably: a write acknowledged before
    // the read is in the answer, and the leader only confirmed a read index.
    try (SimCluster c = SimCluster.start(3, 8107)) {
      String leader = c.awaitOneLeader(WAIT);
      for (int i = 0; i < 5; i++) c.one("x" + i, 3, true);
      c.startJoining("node-4");
      MembershipScenariosTest.changed(c, leader, new ConfigurationChange.AddLearner("node-4", null));
      assertTrue(c.advanceUntil(() -> c.checker.applied("node-4").size() >= 5, WAIT), "the learner caught up");
      assertEquals(RaftRole.LEARNER, c.role("node-4"));
      c.network.dropWhen((from, to, m) -> to.equals("node-4") && m instanceof RaftMessage.AppendEntries);
      c.one("y", 3, false);
      long requestsBefore = c.network.sent("ReadIndexRequest");
      ReplyBox read = c.read("node-4", ReadConsistency.FOLLOWER);
      c.advance(Duration.ofMillis(100));
      assertNull(read.first(), "served before the learner applied the read index: " + read.first());
      c.network.dropNothing();
      assertTrue(c.advanceUntil(() -> read.first() != null, WAIT));
      assertEquals(6L, assertInstanceOf(ClientReply.Applied.class, read.first()).result());
      assertEquals(1, c.network.sent("ReadIndexRequest") - requestsBefore, "one read index request to the leader");
      c.checker.assertSafe();
    }
  }

  @Test
  void aBoundedStaleReadIsRefusedByANodeFurtherBehind() {
    // The leader (a puppet) told node-1 that index 10 is committed, but node-1 holds only up to 3: a STALE
    // read allowing 5 entries of lag, or asking for index 4, is refused with how far behind it is; reads
    // within their bound are served from the local state.
    try (SimCluster c = SimCluster.startWithPuppets(3, 8108, "", Set.of("node-2", "node-3"))) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2")
          .entries(LogEntry.noop(1, 1), LogEntry.noop(2, 1), LogEntry.noop(3, 1)).leaderCommit(10).build());
      c.advance(Duration.ofMillis(10));

      ClientReply lagging = c.read("node-1", ReadOptions.staleWithin(5)).first();
      ClientReply.TooStale tooStale = assertInstanceOf(ClientReply.TooStale.class, lagging);
      assertEquals(3, tooStale.appliedIndex());
      assertEquals(2, tooStale.entriesBehind(), tooStale.reason()); // 10 - 5 = 5 needed, 3 applied
      assertEquals("node-1", tooStale.memberId());
      assertInstanceOf(ClientReply.Applied.class, c.read("node-1", ReadOptions.staleWithin(7)).first());

      ClientReply.TooStale notYet = assertInstanceOf(ClientReply.TooStale.class,
          c.read("node-1", ReadOptions.staleFrom(4)).first());
      assertEquals(1, notYet.entriesBehind());
      assertEquals(3, assertInstanceOf(ClientReply.Applied.class, c.read("node-1", ReadOptions.staleFrom(3)).first()).index());
      assertInstanceOf(ClientReply.Applied.class, c.read("node-1", ReadConsistency.STALE).first(), "unbounded: served");
    }
  }
}
