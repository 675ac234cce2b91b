package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.scenarios.SnapshotScenariosTest.commands;
import static io.pekkoraft.consensus.scenarios.SnapshotScenariosTest.submitAndAwait;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The log's memory is bounded by configuration, not by snapshots: with {@code log.memory-bytes-max = 0}
 * a member keeps no durable entry in memory (but the last), so everything older is read back from the
 * journal: by a leader for a follower far behind, and by every member for entries committed but not yet
 * applied (after a restart). Truncations of entries that already left memory must be honoured by those
 * reads, and by recovery.
 */
class LogMemoryScenariosTest {

  private static final String NO_MEMORY = "pekko-raft.log.memory-bytes-max = 0\n"
      // Small batches keep each replicator's buffer small (4 windows of batches), so a follower that
      // falls behind is served from the leader's log, which is no longer in memory.
      + "pekko-raft.replication.batch-bytes-max = 1 KiB\n"
      + "pekko-raft.replication.window = 2\n"
      + "pekko-raft.client.request-bytes-max = 1 KiB\n";
  private static final String NO_SNAPSHOTS = "pekko-raft.snapshot.every-entries = 0\npekko-raft.snapshot.every-time = 0\n";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aFollowerFarBehindCatchesUpFromTheLeadersJournal() {
    try (SimCluster c = SimCluster.start(3, 501, NO_MEMORY + NO_SNAPSHOTS)) {
      String leader = c.awaitOneLeader(WAIT);
      String behind = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(behind);
      List<String> others = new ArrayList<>(c.members());
      others.remove(behind);
      List<String> agreed = submitAndAwait(c, commands(new Random(501), "a", 300), others);
      assertTrue(c.checker.applied(behind).size() < 10, behind + " was cut off");
      c.network.reconnect(behind);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).equals(agreed), WAIT),
          behind + " caught up from the leader's journal: " + c.checker.applied(behind).size() + " of " + agreed.size());
      c.checker.assertSafe();
    }
  }

  @Test
  void aRestartedMemberAppliesCommittedEntriesReadBackFromItsJournal() {
    // Without snapshots a restarted state machine starts empty; every committed entry it applies again
    // comes from the journal, since recovery keeps only what fits in memory.
    try (SimCluster c = SimCluster.start(3, 502, NO_MEMORY + NO_SNAPSHOTS)) {
      List<String> agreed = submitAndAwait(c, commands(new Random(502), "a", 200), c.members());
      for (String m : c.members()) c.crash(m);
      for (String m : c.members()) c.restart(m);
      List<String> all = submitAndAwait(c, commands(new Random(503), "b", 10), c.members());
      assertEquals(agreed.size() + 10, all.size());
      for (String m : c.members()) {
        assertTrue(c.advanceUntil(() -> c.checker.applied(m).equals(all), WAIT), m + " applied the whole history again");
      }
      c.checker.assertSafe();
    }
  }

  @Test
  void entriesTruncatedAfterTheyLeftMemoryAreNeverReadBack() {
    // A deposed leader appends commands that never commit; they leave its memory (durable, bound 0).
    // The new leader's log replaces them; the old leader's reads and its recovery must see the new ones.
    try (SimCluster c = SimCluster.start(3, 504, NO_MEMORY + NO_SNAPSHOTS)) {
      List<String> first = submitAndAwait(c, commands(new Random(504), "a", 30), c.members());
      String old = c.awaitOneLeader(WAIT);
      c.network.isolate(old);
      List<ReplyBox> lost = c.submitAll(old, commands(new Random(505), "lost", 40));
      c.advance(Duration.ofMillis(100));
      List<String> others = new ArrayList<>(c.members());
      others.remove(old);
      assertTrue(c.advanceUntil(() -> c.leaders().stream().anyMatch(others::contains), WAIT), "a new leader");
      List<String> agreed = submitAndAwait(c, commands(new Random(506), "b", 60), others);
      c.network.reconnect(old);
      assertTrue(c.advanceUntil(() -> c.checker.applied(old).equals(agreed), WAIT),
          old + " converged: " + c.checker.applied(old).size() + " of " + agreed.size());
      assertTrue(lost.stream().noneMatch(b -> b.first() instanceof io.pekkoraft.consensus.protocol.ClientReply.Applied),
          "no command of the deposed leader was acknowledged");
      c.crash(old);
      c.restart(old);
      List<String> all = submitAndAwait(c, commands(new Random(507), "c", 5), c.members());
      assertTrue(c.advanceUntil(() -> c.checker.applied(old).equals(all), WAIT), old + " recovered the right log");
      assertTrue(all.containsAll(first));
      c.checker.assertSafe();
    }
  }

  @Test
  void compactionWithNothingInMemoryRecoversFromSavedStateAndJournal() {
    // The saved state holds no entries: recovery replays the journal from the first event that still
    // holds an entry after the compaction point, counting the earlier part of it for its entries only.
    String config = NO_MEMORY + "pekko-raft.snapshot.every-entries = 20\npekko-raft.snapshot.trailing-entries = 7\n";
    try (SimCluster c = SimCluster.start(3, 508, config)) {
      List<String> agreed = submitAndAwait(c, commands(new Random(508), "a", 130), c.members());
      for (String m : c.members()) c.crash(m);
      for (String m : c.members()) c.restart(m);
      List<String> all = submitAndAwait(c, commands(new Random(509), "b", 30), c.members());
      assertEquals(agreed.size() + 30, all.size());
      for (String m : c.members()) {
        assertTrue(c.advanceUntil(() -> c.checker.applied(m).equals(all), WAIT), m + " holds the whole history");
      }
      for (String m : c.members()) assertTrue(c.checker.restores(m) >= 1, m + " restored a snapshot");
      c.checker.assertSafe();
    }
  }
}
