package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * {@link RaftGroup#submitAsLeader} and {@link RaftGroup#readAsLeader}: served by the asked member only while it
 * leads, never forwarded to the leader another member is, so that what a leader decided in its term (the etcd
 * API's lease expiry, its keep-alives) cannot be carried out by a later leader.
 */
class LeaderOnlyRequestsTest {

  private static final Duration ELECTION_WAIT = Duration.ofSeconds(5);

  private static RaftGroup<String, String, Long> groupOn(SimCluster c, String member) {
    return new RaftGroup<>(SimCluster.GROUP, member, c.server(member), c.testKit.system(),
        RaftSerialization.get(c.testKit.system()).codec(), Duration.ofSeconds(30), c.stopped(member));
  }

  @Test
  void aMemberThatDoesNotLeadRefusesARequestAsLeaderInsteadOfForwardingIt() {
    try (SimCluster c = SimCluster.start(3, 57)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      String follower = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.one("before", 3, false);

      CompletableFuture<Long> submitted =
          groupOn(c, follower).submitAsLeader("on-the-follower", Duration.ofSeconds(10)).toCompletableFuture();
      assertTrue(c.advanceUntil(submitted::isDone, Duration.ofSeconds(2)), "NotLeader at once, not at the deadline");
      RaftException.NotLeader notLeader = assertInstanceOf(RaftException.NotLeader.class,
          assertThrows(ExecutionException.class, submitted::get).getCause());
      assertEquals(leader, notLeader.leaderId(), "names the leader it did not forward to");

      CompletableFuture<Long> read = groupOn(c, follower)
          .readAsLeader("q", ReadConsistency.LINEARIZABLE, Duration.ofSeconds(10)).toCompletableFuture();
      assertTrue(c.advanceUntil(read::isDone, Duration.ofSeconds(2)));
      assertInstanceOf(RaftException.NotLeader.class, assertThrows(ExecutionException.class, read::get).getCause());

      // The leader serves both, as leader.
      CompletableFuture<Long> mine =
          groupOn(c, leader).submitAsLeader("on-the-leader", Duration.ofSeconds(10)).toCompletableFuture();
      assertTrue(c.advanceUntil(mine::isDone, Duration.ofSeconds(2)));
      mine.join();
      CompletableFuture<Long> confirmed = groupOn(c, leader)
          .readAsLeader("q", ReadConsistency.LINEARIZABLE, Duration.ofSeconds(10)).toCompletableFuture();
      assertTrue(c.advanceUntil(confirmed::isDone, Duration.ofSeconds(2)));
      confirmed.join();

      c.advance(Duration.ofMillis(500));
      for (String member : c.members()) {
        assertEquals(List.of("before", "on-the-leader"), c.checker.applied(member), member);
      }
      c.checker.assertSafe();
    }
  }
}
