package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntries;
import static io.pekkoraft.consensus.testing.Rpcs.appendEntriesResponse;
import static io.pekkoraft.consensus.testing.Rpcs.requestVote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One scenario per safety rule of Raft, each built so that it fails when the rule is taken out of the
 * code. A real server ("node-1") is driven by the test, which plays its peers.
 */
class SafetyRulesTest {

  private static final Set<String> PEERS = Set.of("node-2", "node-3");

  private static long grantsTo(SimCluster c, String candidate, long term) {
    return c.inbox(candidate, RequestVoteResponse.class).stream()
        .filter(r -> r.granted() && !r.preVote() && r.term() == term).count();
  }

  @Test
  void voteIsDurableBeforeItIsAnswered() {
    // A vote is answered only once it is on disk, so a crash can never make a server vote twice in a term.
    try (SimCluster c = SimCluster.startWithPuppets(3, 31, "", PEERS)) {
      c.setSlowDisk(true); // a write becomes durable only when time moves on
      c.sendAs("node-2", "node-1", requestVote().term(1).from("node-2").build());
      assertEquals(0, grantsTo(c, "node-2", 1), "vote answered before it was durable");
      c.crash("node-1"); // the vote was never stored...
      c.restart("node-1");
      c.sendAs("node-3", "node-1", requestVote().term(1).from("node-3").build());
      c.advance(Duration.ofMillis(10));
      // ...so voting for node-3 now is safe, because node-2 never heard a yes
      assertEquals(1, grantsTo(c, "node-3", 1));
      assertEquals(0, grantsTo(c, "node-2", 1), "two votes in term 1: two leaders possible");
    }
  }

  @Test
  void entriesAreDurableBeforeTheyAreAcknowledged() {
    // A follower acknowledges entries only once they are on disk, so a leader never counts an entry a crash loses.
    try (SimCluster c = SimCluster.startWithPuppets(3, 32, "", PEERS)) {
      c.setSlowDisk(true);
      LogEntry e1 = LogEntry.noop(1, 1);
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2").entries(e1).build());
      assertTrue(c.inbox("node-2", AppendEntriesResponse.class).stream().noneMatch(AppendEntriesResponse::success),
          "entries acknowledged before they were durable");
      c.advance(Duration.ofMillis(10));
      assertTrue(c.inbox("node-2", AppendEntriesResponse.class).stream()
          .anyMatch(r -> r.success() && r.matchIndex() == 1), "durable entries were not acknowledged");
    }
  }

  @Test
  void electionRestriction() {
    // A server refuses its vote to a candidate whose log is less up-to-date than its own (§5.4.1).
    try (SimCluster c = SimCluster.startWithPuppets(3, 33, "", PEERS)) {
      List<LogEntry> entries = List.of(LogEntry.noop(1, 1), LogEntry.noop(2, 1));
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2").entries(entries).build());
      c.advance(Duration.ofMillis(1100)); // the leader's lease on node-1's vote runs out
      // node-3's log ends at index 1 of term 1: shorter, same last term
      c.sendAs("node-3", "node-1", requestVote().term(5).from("node-3").lastLog(1, 1).build());
      c.advance(Duration.ofMillis(10));
      assertEquals(0, grantsTo(c, "node-3", 5), "voted for a candidate missing entries it holds");
      // a candidate at least as up-to-date gets the vote in a later term
      c.sendAs("node-3", "node-1", requestVote().term(6).from("node-3").lastLog(2, 1).build());
      c.advance(Duration.ofMillis(10));
      assertEquals(1, grantsTo(c, "node-3", 6));
    }
  }

  @Test
  void leaderCommitsOnlyEntriesOfItsTermByCounting() {
    // Raft Figure 8: an entry of an older term stored on a quorum is not committed until an entry of the
    // leader's own term above it is; committing it by counting could lose it to a later leader.
    try (SimCluster c = SimCluster.startWithPuppets(3, 34, "pekko-raft.replication.batch-entries-max = 1", PEERS)) {
      byte[] command = RaftSerialization.get(c.testKit.system()).codec().toBytes("old-term-entry");
      // node-1 holds index 1 from a leader of term 1 and index 2 from a leader of term 2
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2").entries(LogEntry.noop(1, 1)).build());
      c.sendAs("node-3", "node-1", appendEntries().term(2).from("node-3").prev(1, 1)
          .entries(new LogEntry(2, 2, LogEntry.Type.COMMAND, command)).leaderCommit(1).build());
      // node-1 becomes leader of term 3 with node-2's votes
      assertEquals(3, c.electWithPuppetVote("node-1", "node-2"));
      // node-2's log is shorter: it rejects the first append, then stores index 2 (one entry per batch)
      AppendEntries first = lastAppend(c, "node-2");
      c.sendAs("node-2", "node-1", appendEntriesResponse().term(3).from("node-2").rejected(0, 2).seq(first.seq()).build());
      AppendEntries probe = lastAppend(c, "node-2");
      assertEquals(1, probe.prevLogIndex());
      c.sendAs("node-2", "node-1", appendEntriesResponse().term(3).from("node-2").accepted(2).seq(probe.seq()).build());
      c.advance(Duration.ofMillis(10));
      // index 2 (term 2) is on a quorum (node-1, node-2), but must not be committed by counting
      assertFalse(c.checker.applied("node-1").contains("old-term-entry"), "committed an old-term entry by counting");
      // once node-2 stores index 3, the no-op of term 3, both commit
      AppendEntries next = lastAppend(c, "node-2");
      assertEquals(2, next.prevLogIndex());
      c.sendAs("node-2", "node-1", appendEntriesResponse().term(3).from("node-2").accepted(3).seq(next.seq()).build());
      c.advance(Duration.ofMillis(10));
      assertEquals(List.of("old-term-entry"), c.checker.applied("node-1"));
    }
  }

  private static AppendEntries lastAppend(SimCluster c, String peer) {
    List<AppendEntries> sent = c.inbox(peer, AppendEntries.class);
    assertFalse(sent.isEmpty(), "no AppendEntries sent to " + peer);
    return sent.get(sent.size() - 1);
  }

  @Test
  void preVoteKeepsARejoiningServerFromDisruptingTheLeader() {
    // With Pre-Vote, a follower cut off for a long time does not raise its term, so when it returns the
    // leader stays leader in the same term.
    try (SimCluster c = SimCluster.start(3, 35)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      long term = c.term(leader);
      String cutOff = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(cutOff);
      c.advance(Duration.ofSeconds(10));
      assertEquals(term, c.term(cutOff), "the cut-off follower raised its term");
      c.network.reconnect(cutOff);
      c.advance(Duration.ofSeconds(3));
      assertEquals(Set.of(leader), c.leaders());
      assertEquals(term, c.term(leader), "the returning follower disrupted the leader");
      c.checker.assertSafe();
    }
  }

  @Test
  void withoutPreVoteARejoiningServerDisruptsTheLeader() {
    // The same scenario with Pre-Vote off: the returning follower's inflated term forces a new election,
    // which is what the scenario above catches if Pre-Vote is removed.
    try (SimCluster c = SimCluster.start(3, 35, "pekko-raft.pre-vote = off")) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      long term = c.term(leader);
      String cutOff = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(cutOff);
      c.advance(Duration.ofSeconds(10));
      assertTrue(c.term(cutOff) > term + 3, "without Pre-Vote the cut-off follower keeps raising its term");
      c.network.reconnect(cutOff);
      c.advance(Duration.ofSeconds(3));
      String after = c.awaitOneLeader(Duration.ofSeconds(5));
      assertTrue(c.term(after) > term, "the leader was not disrupted");
      c.checker.assertSafe();
    }
  }
}
