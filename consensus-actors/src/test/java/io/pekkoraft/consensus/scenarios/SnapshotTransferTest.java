package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshot;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshotResponse;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The leader's side of InstallSnapshot, driven chunk by chunk: a real leader (node-1, with node-2 for its
 * quorum) sends its snapshot to node-3, which the test plays. One chunk is in flight at a time, and only
 * the answer to that chunk moves the transfer on.
 */
class SnapshotTransferTest {

  private static final String CONFIG = "pekko-raft.snapshot.every-entries = 20\n"
      + "pekko-raft.snapshot.trailing-entries = 5\n"
      + "pekko-raft.snapshot.chunk-size = 1 KiB\n"
      + "pekko-raft.replication.batch-bytes-max = 1 KiB\n"
      + "pekko-raft.replication.window = 2\n"
      + "pekko-raft.client.request-bytes-max = 1 KiB\n";

  /** Leader node-1 holds a compacted log of 200 commands of random text; node-3 (a puppet) has nothing. */
  private static SimCluster leaderWithASnapshot(long seed) {
    SimCluster c = SimCluster.startWithPuppets(3, seed, CONFIG, Set.of("node-3"));
    String leader = c.awaitOneLeader(Duration.ofSeconds(10));
    java.util.Random random = new java.util.Random(seed);
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder b = new StringBuilder("c" + i + "-");
      for (int k = 0; k < 40; k++) b.append((char) ('a' + random.nextInt(26)));
      commands.add(b.toString());
    }
    c.submitAll(leader, commands);
    c.advance(Duration.ofSeconds(2));
    assertTrue(c.advanceUntil(() -> !c.inbox("node-3", InstallSnapshot.class).isEmpty(), Duration.ofSeconds(5)),
        "the leader started sending its snapshot to node-3");
    return c;
  }

  private static List<InstallSnapshot> chunksAt(SimCluster c, long offset) {
    return c.inbox("node-3", InstallSnapshot.class).stream().filter(is -> is.offset() == offset).toList();
  }

  @Test
  void aDuplicatedAnswerDoesNotStartASecondStream() {
    // A duplicated answer to a chunk used to send the next chunk once per copy; on a slow link that
    // duplicates or retransmits, streams multiplied. Now the second copy answers nothing in flight.
    try (SimCluster c = leaderWithASnapshot(411)) {
      InstallSnapshot first = c.inbox("node-3", InstallSnapshot.class).get(0);
      assertEquals(0, first.offset());
      assertTrue(first.totalBytes() > 3 * 1024, "a snapshot of several chunks: " + first.totalBytes() + " bytes");
      String leader = first.from();
      long next = first.chunk().length;
      InstallSnapshotResponse ack = new InstallSnapshotResponse(first.term(), "node-3", first.lastIncludedIndex(),
          0, next, false, 0);
      c.sendAs("node-3", leader, ack);
      c.sendAs("node-3", leader, ack); // the network duplicated it
      assertEquals(1, chunksAt(c, next).size(), "the second chunk was sent once, not once per copy of the answer");

      // A late answer to the first chunk, arriving after the second chunk left, is not taken for its answer.
      c.sendAs("node-3", leader, new InstallSnapshotResponse(first.term(), "node-3", first.lastIncludedIndex(),
          0, next, false, 0));
      assertEquals(1, chunksAt(c, next).size(), "a late answer restarted the stream");
      InstallSnapshot second = chunksAt(c, next).get(0);
      long third = next + second.chunk().length;
      c.sendAs("node-3", leader, new InstallSnapshotResponse(first.term(), "node-3", first.lastIncludedIndex(),
          next, third, false, 0));
      assertEquals(1, chunksAt(c, third).size(), "the answer to the chunk in flight moves the transfer on");
      c.checker.assertSafe();
    }
  }

  @Test
  void aRetransmittedChunkIsAnsweredOnceInEffect() {
    // With no answer for three heartbeat intervals the chunk is sent again; when both answers arrive,
    // the transfer goes on once.
    try (SimCluster c = leaderWithASnapshot(412)) {
      InstallSnapshot first = c.inbox("node-3", InstallSnapshot.class).get(0);
      assertTrue(c.advanceUntil(() -> chunksAt(c, 0).size() >= 2, Duration.ofSeconds(2)), "the chunk was resent");
      long next = first.chunk().length;
      InstallSnapshotResponse ack = new InstallSnapshotResponse(first.term(), "node-3", first.lastIncludedIndex(),
          0, next, false, 0);
      c.sendAs("node-3", first.from(), ack);
      c.sendAs("node-3", first.from(), ack);
      assertEquals(1, chunksAt(c, next).size(), "one stream after a retransmit");
    }
  }
}
