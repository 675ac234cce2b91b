package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The state machine sees where each command sits in the log ({@link AppliedEntry}: index, term, log time), and
 * every replica sees the same: a follower that applies the commands seconds later, and a node that replays its
 * log after a restart, see the index and the log time the leader stamped, never their own clock.
 */
class AppliedEntryScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void everyReplicaSeesTheSameIndexAndLogTimeAlsoLateAndOnReplay() {
    try (SimCluster c = SimCluster.start(3, 1401)) {
      String leader = c.awaitOneLeader(WAIT);
      String late = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(late);
      c.submit(leader, "a");
      c.advance(Duration.ofMillis(700)); // simulated time: the next command gets a later log time
      c.submit(leader, "b");
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("b") == 2, WAIT), "not applied by the majority");
      long stampedBy = c.nowMs();
      c.advance(Duration.ofSeconds(5)); // the late follower applies them 5 s of simulated time later
      c.network.reconnect(late);
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("b") == 3, WAIT), late + " did not catch up");

      Map<String, AppliedEntry> seenByLeader = c.checker.entriesSeenBy(leader + "#1");
      AppliedEntry a = seenByLeader.get("a");
      AppliedEntry b = seenByLeader.get("b");
      assertTrue(a.index() < b.index(), "indexes increase along the log: " + a + ", " + b);
      assertTrue(b.logTimeMillis() - a.logTimeMillis() >= 700, "log time is the leader's time of append: " + a + ", " + b);
      assertTrue(b.logTimeMillis() <= stampedBy, "b was stamped when appended, before " + stampedBy + ": " + b);
      for (String m : c.members()) {
        assertEquals(List.of("a", "b"), List.copyOf(c.checker.entriesSeenBy(m + "#1").keySet()), m);
        assertEquals(seenByLeader, c.checker.entriesSeenBy(m + "#1"),
            m + " must see each command at the leader's index and log time, whenever it applies it");
      }

      // A restart replays the log: the same entries again, not the clock of the replay.
      c.advance(Duration.ofSeconds(3));
      c.crash(late);
      c.restart(late);
      assertTrue(c.advanceUntil(() -> c.checker.entriesSeenBy(late + "#2").containsKey("b"), WAIT), late + " did not replay");
      assertEquals(seenByLeader, c.checker.entriesSeenBy(late + "#2"), "the replay must see the same index and log time");
      c.checker.assertSafe();
    }
  }
}
