package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Linearizable reads by ReadIndex: fresh on the leader, forwarded from followers, never stale. */
class ReadScenariosTest {

  @Test
  void linearizableReadSeesEveryAcknowledgedWrite() {
    // A read started after writes were acknowledged returns a state that includes all of them, from any member.
    try (SimCluster c = SimCluster.start(3, 21)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      for (int i = 0; i < 5; i++) c.one("w-" + i, 1, false);
      for (String m : c.members()) {
        ReplyBox read = c.read(m, ReadConsistency.LINEARIZABLE);
        assertTrue(c.advanceUntil(() -> read.first() != null, Duration.ofSeconds(1)), "no answer from " + m);
        assertEquals(5L, ((ClientReply.Applied) read.first()).result(), "read through " + m + " (leader " + leader + ")");
      }
      c.checker.assertSafe();
    }
  }

  @Test
  void readsWaitingTogetherShareOneHeartbeatRound() {
    // Reads that arrive together are confirmed by one round of heartbeats, not one round each.
    try (SimCluster c = SimCluster.start(3, 22)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("x", 3, false);
      long before = c.network.sent("Heartbeat");
      List<ReplyBox> reads = c.readAll(leader, 20, ReadConsistency.LINEARIZABLE);
      c.settle();
      assertTrue(reads.stream().allMatch(r -> r.first() instanceof ClientReply.Applied));
      long used = c.network.sent("Heartbeat") - before;
      assertTrue(used <= 2 * 2, "20 reads used " + used + " heartbeats; one round is 2");
    }
  }

  @Test
  void cutOffLeaderServesNoStaleRead() {
    // A leader cut off from the others does not answer a linearizable read, even after the others moved on.
    try (SimCluster c = SimCluster.start(3, 23)) {
      String oldLeader = c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("before", 3, false);
      c.network.isolate(oldLeader);
      ReplyBox stale = c.read(oldLeader, ReadConsistency.LINEARIZABLE);
      c.one("after", 2, true); // the majority elects a new leader and commits
      assertTrue(c.advanceUntil(() -> stale.first() != null, Duration.ofSeconds(5)), "the read never completed");
      // it must fail (no quorum / not leader), never answer with the old state
      assertTrue(!(stale.first() instanceof ClientReply.Applied), "stale read served: " + stale.first());
      c.checker.assertSafe();
    }
  }

  @Test
  void staleReadIsLocal() {
    // A STALE read is answered by the asked member from its own state, without contacting the leader.
    try (SimCluster c = SimCluster.start(3, 24)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("y", 3, false);
      String follower = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(follower);
      ReplyBox read = c.read(follower, ReadConsistency.STALE);
      c.settle();
      assertInstanceOf(ClientReply.Applied.class, read.first());
      assertEquals(1L, ((ClientReply.Applied) read.first()).result());
      ReplyBox linearizable = c.read(follower, ReadConsistency.LINEARIZABLE);
      c.settle();
      assertNull(linearizable.first(), "an isolated follower cannot answer a linearizable read at once");
    }
  }
}
