package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.scenarios.SnapshotScenariosTest.submitAndAwait;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Nothing a member writes may be larger than its journal takes. The simulated journal here refuses a
 * write of more than 128 KiB, as this project's journal refuses a record larger than a segment, and the
 * state machine's snapshot is several times that. The snapshot data goes to its own file, never through
 * the journal; the journal only records where it is, and every write stays within
 * {@code log.write-bytes-max}. Before, the snapshot travelled in one journal event: the write was
 * refused, the log actor stopped, and the server with it, again after every restart.
 */
class LargeSnapshotScenariosTest {

  private static final String CONFIG = "pekko-raft-test.sim-journal.max-write-bytes = 128 KiB\n"
      + "pekko-raft.log.write-bytes-max = 96 KiB\n"
      + "pekko-raft.replication.batch-bytes-max = 16 KiB\n"
      + "pekko-raft.client.request-bytes-max = 16 KiB\n"
      + "pekko-raft.snapshot.every-entries = 40\n"
      + "pekko-raft.snapshot.trailing-entries = 5\n"
      + "pekko-raft.snapshot.chunk-size = 32 KiB\n";
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Commands of 8 KiB of random text: 120 of them snapshot to several hundred KiB even after zstd. */
  private static List<String> bigCommands(Random random, String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder text = new StringBuilder(prefix).append('-').append(i).append('-');
      for (int k = 0; k < 8 * 1024; k++) text.append((char) ('!' + random.nextInt(90)));
      out.add(text.toString());
    }
    return out;
  }

  @Test
  void aSnapshotLargerThanAJournalWriteIsTakenRecoveredAndInstalled() {
    try (SimCluster c = SimCluster.start(3, 601, CONFIG)) {
      String leader = c.awaitOneLeader(WAIT);
      String behind = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      List<String> others = new ArrayList<>(c.members());
      others.remove(behind);
      c.network.isolate(behind);
      List<String> agreed = submitAndAwait(c, bigCommands(new Random(601), "a", 120), others);

      // Both up-to-date members restart: they recover from their snapshot files and the journal.
      for (String m : others) c.crash(m);
      for (String m : others) c.restart(m);
      for (String m : others) assertTrue(c.checker.restores(m) >= 1, m + " restarted from its snapshot");

      // The lagging member comes back while writes go on: it needs the snapshot, in chunks.
      c.network.reconnect(behind);
      List<String> more = submitAndAwait(c, bigCommands(new Random(602), "b", 10), others);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).equals(more), WAIT),
          behind + " caught up: " + c.checker.applied(behind).size() + " of " + more.size());
      assertTrue(c.checker.restores(behind) >= 1, behind + " installed the leader's snapshot");
      assertTrue(c.network.sent("InstallSnapshot") > 10, "the snapshot travelled in many chunks");
      assertEquals(agreed.size() + 10, more.size());
      c.checker.assertSafe();
    }
  }
}
