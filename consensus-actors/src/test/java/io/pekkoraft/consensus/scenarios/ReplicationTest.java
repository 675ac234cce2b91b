package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The leader's replication machinery, driven exactly: a real leader ("node-1") and followers played by
 * the test, which decides when and how they answer.
 */
class ReplicationTest {

  private static final Set<String> PEERS = Set.of("node-2", "node-3");

  private static List<String> commands(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(prefix + i);
    return out;
  }

  /**
   * node-1 becomes leader with node-2's vote; its first AppendEntries to node-2 (the no-op, sent alone
   * while probing) is acknowledged, so node-2 is in replicate state.
   */
  private static void electAndAcknowledgeProbe(SimCluster c) {
    c.electWithPuppetVote("node-1", "node-2");
    AppendEntries probe = appends(c, "node-2").get(0);
    c.sendAs("node-2", "node-1", new AppendEntriesResponse(probe.term(), "node-2", true, 1, 0, 0, probe.seq(), 0));
  }

  private static List<AppendEntries> appends(SimCluster c, String peer) {
    return c.inbox(peer, AppendEntries.class);
  }

  @Test
  void pipelinesAWindowOfBoundedBatches() {
    // With nothing acknowledged yet, the leader sends exactly a window of batches, each within the entry
    // bound, and sends more as acknowledgements free the window.
    String config = "pekko-raft.replication { window = 4, batch-entries-max = 3 }";
    try (SimCluster c = SimCluster.startWithPuppets(3, 41, config, PEERS)) {
      electAndAcknowledgeProbe(c);
      int before = appends(c, "node-2").size();
      c.submitAll("node-1", commands("p", 30));
      List<AppendEntries> sent = appends(c, "node-2").subList(before, appends(c, "node-2").size());
      assertEquals(4, sent.size(), "a window of 4 batches in flight");
      for (AppendEntries ae : sent) assertTrue(ae.entries().size() <= 3, "batch of " + ae.entries().size());
      // batches are contiguous
      for (int i = 1; i < sent.size(); i++) {
        AppendEntries prev = sent.get(i - 1);
        assertEquals(prev.prevLogIndex() + prev.entries().size(), sent.get(i).prevLogIndex());
      }
      AppendEntries first = sent.get(0);
      long match = first.prevLogIndex() + first.entries().size();
      c.sendAs("node-2", "node-1", new AppendEntriesResponse(first.term(), "node-2", true, match, 0, 0, first.seq(), 0));
      assertEquals(before + 5, appends(c, "node-2").size(), "one acknowledged batch frees one slot");
    }
  }

  @Test
  void batchesAreBoundedInBytes() {
    // A batch never exceeds batch-bytes-max (unless one entry alone is larger).
    String config = "pekko-raft.replication.batch-bytes-max = 2 KiB\npekko-raft.client.request-bytes-max = 1 KiB";
    try (SimCluster c = SimCluster.startWithPuppets(3, 42, config, PEERS)) {
      electAndAcknowledgeProbe(c);
      List<String> big = new ArrayList<>();
      for (int i = 0; i < 20; i++) big.add(i + "-" + "x".repeat(500));
      c.submitAll("node-1", big);
      for (AppendEntries ae : appends(c, "node-2")) {
        long bytes = ae.entries().stream().mapToLong(LogEntry::sizeBytes).sum();
        assertTrue(bytes <= 2048 || ae.entries().size() == 1, "batch of " + bytes + " bytes");
      }
    }
  }

  @Test
  void heartbeatsKeepFlowingWhileTheWindowIsFull() {
    // A follower that never acknowledges appends still gets a heartbeat every heartbeat interval: heartbeats
    // do not wait behind the full window.
    String config = "pekko-raft.replication { window = 2, batch-entries-max = 1 }";
    try (SimCluster c = SimCluster.startWithPuppets(3, 43, config, PEERS)) {
      c.electWithPuppetVote("node-1", "node-2");
      c.submitAll("node-1", commands("h", 50));
      int heartbeatsBefore = c.inbox("node-3", Heartbeat.class).size();
      // node-2 answers heartbeats (so the leader keeps its quorum); node-3 answers nothing
      for (int i = 0; i < 10; i++) {
        c.advance(Duration.ofMillis(200));
        List<Heartbeat> toNode2 = c.inbox("node-2", Heartbeat.class);
        Heartbeat last = toNode2.get(toNode2.size() - 1);
        c.sendAs("node-2", "node-1", new HeartbeatResponse(last.term(), "node-2", last.round(), 0));
      }
      assertEquals(io.pekkoraft.consensus.RaftRole.LEADER, c.role("node-1"));
      int heartbeats = c.inbox("node-3", Heartbeat.class).size() - heartbeatsBefore;
      assertTrue(heartbeats >= 9, "only " + heartbeats + " heartbeats in 2 s with a full window");
      // and appends stayed within the window (plus retransmissions of the same window)
      long distinctBatches = appends(c, "node-3").stream().map(AppendEntries::prevLogIndex).distinct().count();
      assertTrue(distinctBatches <= 3, "sent past the window: " + distinctBatches);
    }
  }

  @Test
  void backsUpOneTermPerRoundTrip() {
    // A follower whose log conflicts over a long stretch of one term is brought back in one round trip,
    // by its conflict hint, not one index at a time.
    try (SimCluster c = SimCluster.startWithPuppets(3, 44, "", PEERS)) {
      // node-1 holds 30 entries of term 1
      List<LogEntry> log = new ArrayList<>();
      for (int i = 1; i <= 30; i++) log.add(LogEntry.noop(i, 1));
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 0, 0, log, 0, 1));
      c.electWithPuppetVote("node-1", "node-2");
      AppendEntries first = appends(c, "node-3").get(0);
      assertEquals(30, first.prevLogIndex());
      // node-3 has entries 1..5 of term 1, then 6..40 of term 9 (a leader that never committed them)
      c.sendAs("node-3", "node-1", new AppendEntriesResponse(first.term(), "node-3", false, 0, 9, 6, first.seq(), 0));
      AppendEntries second = appends(c, "node-3").get(appends(c, "node-3").size() - 1);
      assertEquals(5, second.prevLogIndex(), "skipped the whole conflicting term at once");
      assertEquals(1, second.prevLogTerm());
    }
  }

  @Test
  void groupCommitWritesEverythingQueuedDuringAWriteAsOneBatch() {
    // Fifty commands arriving while the disk is busy cost two journal writes, not fifty.
    try (SimCluster c = SimCluster.startWithPuppets(3, 45, "", PEERS)) {
      c.setSlowDisk(true);
      c.electWithPuppetVote("node-1", "node-2");
      c.advance(Duration.ofMillis(10));
      String node1 = RaftServer.persistenceId(SimCluster.GROUP, "node-1");
      assertEquals(0, c.disk.pendingBatches(node1));
      c.submitAll("node-1", commands("g", 1));
      c.submitAll("node-1", commands("g", 50));
      assertEquals(1, c.disk.pendingBatches(node1), "one write in flight, the rest queued behind it");
      c.advance(Duration.ofMillis(1));
      assertEquals(1, c.disk.pendingBatches(node1), "everything that queued went out as one write");
      c.advance(Duration.ofMillis(1));
      assertEquals(0, c.disk.pendingBatches(node1));
    }
  }

  @Test
  void overloadIsATypedRejection() {
    // Beyond pending-max uncommitted commands (or waiting reads), the leader refuses new ones at once.
    try (SimCluster c = SimCluster.startWithPuppets(3, 46, "pekko-raft.client.pending-max = 5", PEERS)) {
      c.electWithPuppetVote("node-1", "node-2");
      List<ReplyBox> replies = c.submitAll("node-1", commands("o", 6));
      assertInstanceOf(ClientReply.Rejected.class, replies.get(5).first());
      assertTrue(((ClientReply.Rejected) replies.get(5).first()).reason().contains("overloaded"));
      // reads waiting for a heartbeat round that never completes are bounded the same way
      List<ReplyBox> reads = c.readAll("node-1", 6, io.pekkoraft.consensus.ReadConsistency.LINEARIZABLE);
      assertInstanceOf(ClientReply.Rejected.class, reads.get(5).first());
      assertTrue(((ClientReply.Rejected) reads.get(5).first()).reason().contains("overloaded"));
    }
  }
}
