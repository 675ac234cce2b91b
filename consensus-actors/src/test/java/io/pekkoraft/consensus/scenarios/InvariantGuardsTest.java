package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntries;
import static io.pekkoraft.consensus.testing.Rpcs.appendEntriesResponse;
import static io.pekkoraft.consensus.testing.Rpcs.heartbeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pekkoraft.consensus.impl.ServerStateFixture;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One scenario per invariant guard: presented with the broken invariant, the server stops, with a message
 * naming what broke. Each fails when its guard is taken out of the code, since the server then carries on.
 *
 * <p>Where a peer's messages can break the invariant, a real server ("node-1") is driven by the test, which
 * plays its peers in the simulation. Where no message can (the rules around the guard never call it with
 * a broken invariant), the guard is called directly on a real ServerState in an actor of its own
 * ({@link ServerStateFixture}), and the test says why no message reaches it.
 */
class InvariantGuardsTest {

  private static final Set<String> PEERS = Set.of("node-2", "node-3");

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static LogEntry e(long index, long term) {
    return LogEntry.noop(index, term);
  }

  /** node-1 stopped on its own (not crashed), saying {@code why}. */
  private static void assertStopped(SimCluster c, String why) throws Exception {
    assertEquals(List.of("node-1#1"), c.stoppedOnTheirOwn(), "node-1 carried on");
    String reason = c.stopped("node-1").get(10, TimeUnit.SECONDS);
    assertEquals(why, reason);
  }

  /** The fixture's server stopped with an IllegalStateException saying {@code why}. */
  private static void assertStopped(Throwable failure, String why) {
    assertNotNull(failure, "the server carried on");
    assertInstanceOf(IllegalStateException.class, failure, String.valueOf(failure));
    assertEquals(why, failure.getMessage());
  }

  private static AppendEntries lastAppend(SimCluster c, String peer) {
    List<AppendEntries> sent = c.inbox(peer, AppendEntries.class);
    assertFalse(sent.isEmpty(), "no AppendEntries sent to " + peer);
    return sent.get(sent.size() - 1);
  }

  // ---- Leader: guards a peer's message reaches ----

  @Test
  void aLeaderStopsOnAppendEntriesFromAnotherLeaderOfItsTerm() throws Exception {
    // Election Safety: at most one leader per term. A second one is a broken invariant, not a condition to handle.
    try (SimCluster c = SimCluster.startWithPuppets(3, 71, "", PEERS)) {
      long term = c.electWithPuppetVote("node-1", "node-2");
      c.sendAs("node-3", "node-1", appendEntries().term(term).from("node-3").prev(0, 0).build());
      assertStopped(c, "node-1 is leader of term " + term + " but node-3 also sends AppendEntries as leader of that term");
    }
  }

  @Test
  void aLeaderStopsOnAHeartbeatFromAnotherLeaderOfItsTerm() throws Exception {
    // Election Safety, for the heartbeat: a leader of our term that sends only heartbeats is a second leader too.
    try (SimCluster c = SimCluster.startWithPuppets(3, 72, "", PEERS)) {
      long term = c.electWithPuppetVote("node-1", "node-2");
      c.sendAs("node-3", "node-1", heartbeat().term(term).from("node-3").build());
      assertStopped(c, "node-1 is leader of term " + term + " but node-3 also sends heartbeats as leader of that term");
    }
  }

  @Test
  void aLeaderStopsWhenAFollowerAcknowledgesAnIndexBeyondItsLog() throws Exception {
    // A follower can only hold what the leader sent it: an acknowledgement past the leader's last index
    // would count towards commits of entries that exist nowhere.
    try (SimCluster c = SimCluster.startWithPuppets(3, 73, "", PEERS)) {
      long term = c.electWithPuppetVote("node-1", "node-2");
      AppendEntries noop = lastAppend(c, "node-2"); // the leader's log ends with its no-op at index 1
      assertEquals(1, noop.prevLogIndex() + noop.entries().size());
      c.sendAs("node-2", "node-1", appendEntriesResponse().term(term).from("node-2").accepted(5).seq(noop.seq()).build());
      assertStopped(c, "node-1: node-2 acknowledged index 5 beyond our last index 1 in term " + term);
    }
  }

  @Test
  void aLeaderStopsWhenAFollowerClaimsASnapshotBeyondItsLog() throws Exception {
    // The same for InstallSnapshot: a follower can only have installed a snapshot the leader sent, which
    // covers at most the leader's log. Counted as its match index, a larger one could help commit
    // entries that exist nowhere once the leader's log grows that far.
    try (SimCluster c = SimCluster.startWithPuppets(3, 79, "", PEERS)) {
      long term = c.electWithPuppetVote("node-1", "node-2");
      c.sendAs("node-2", "node-1", new io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshotResponse(
          term, "node-2", 7, 0, 100, true, 0));
      assertStopped(c, "node-1: node-2 installed a snapshot up to 7 beyond our last index 1 in term " + term);
    }
  }

  // ---- Follower: guards a peer's message reaches ----

  @Test
  void aFollowerStopsRatherThanTruncateACommittedEntry() throws Exception {
    // Leader Completeness: a leader holds every committed entry, so no AppendEntries ever conflicts with one.
    // node-2, leader of term 1, told node-1 that index 2 is committed; node-3, leader of term 2, sends
    // another entry at index 2: a leader missing a committed entry.
    try (SimCluster c = SimCluster.startWithPuppets(3, 74, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2").entries(e(1, 1), e(2, 1)).leaderCommit(2).build());
      assertEquals(List.of(), c.stoppedOnTheirOwn());
      c.sendAs("node-3", "node-1", appendEntries().term(2).from("node-3").prev(1, 1).entries(e(2, 2)).build());
      assertStopped(c, "node-1: asked to truncate from 2 but 2 is committed");
    }
  }

  @Test
  void aFollowerStopsOnEntriesThatLeaveAGapInItsLog() throws Exception {
    // Log Matching needs every index from 1 to the last: a leader's entries that skip an index break it.
    // (LogView knows nothing of members: its message says only what broke.)
    try (SimCluster c = SimCluster.startWithPuppets(3, 75, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2").entries(e(1, 1), e(3, 1)).build());
      assertStopped(c, "log gap: appending index 3 after 1");
    }
  }

  @Test
  void aFollowerStopsOnEntriesWhoseTermGoesDown() throws Exception {
    // Terms in a log never go down (each leader appends entries of its own term after what it holds).
    try (SimCluster c = SimCluster.startWithPuppets(3, 76, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(2).from("node-2").entries(e(1, 2), e(2, 1)).build());
      assertStopped(c, "term went down in the log: entry 2 has term 1 after term 2");
    }
  }

  // ---- ServerState: guards no message reaches ----

  @Test
  void theTermNeverGoesDown() throws Exception {
    // No message reaches this guard: Role adopts a message's term only when it is higher than ours
    // (§5.1), and a candidate adopts ours plus one.
    assertStopped(ServerStateFixture.run(testKit, 3, null, List.of(), s -> s.adoptTerm(2)),
        "node-1: term may only rise, from 3 to 2");
    assertStopped(ServerStateFixture.run(testKit, 3, null, List.of(), s -> s.adoptTerm(3)),
        "node-1: term may only rise, from 3 to 3");
  }

  @Test
  void aServerNeverVotesTwiceInATerm() throws Exception {
    // No message reaches this guard: VoteRules refuses a vote request when we voted for another
    // candidate in the term, so castVote is never called then (§5.2).
    assertStopped(ServerStateFixture.run(testKit, 3, "node-2", List.of(), s -> s.castVote("node-3")),
        "node-1: second vote in term 3 for node-3, already voted for node-2");
  }

  @Test
  void theCommitIndexNeverPassesTheLastIndex() throws Exception {
    // No message reaches this guard: a follower commits at most up to the last entry the leader's
    // message matched, a leader only an entry of its term that its log holds (CommitRule), counted on
    // acknowledgements no higher than its last index (the guard of the leader above). Index 2 is handed
    // to the state machine first, so that without the guard nothing else would notice index 3 missing.
    assertStopped(ServerStateFixture.run(testKit, 1, null, List.of(e(1, 1), e(2, 1)), s -> {
      s.commitTo(2);
      s.commitTo(3);
    }), "node-1: commit index 3 past the last index 2");
  }

  @Test
  void aSnapshotNeverCoversAnUncommittedEntry() throws Exception {
    // No message reaches this guard: a snapshot is taken by the state machine runner (Internal.SnapshotTaken),
    // which only ever applied committed entries.
    assertStopped(ServerStateFixture.run(testKit, 1, null, List.of(e(1, 1), e(2, 1), e(3, 1)), s -> {
      s.commitTo(2);
      s.storeSnapshot(3, 1, 100);
    }), "node-1: snapshot at 3@1 does not match the committed log (commit index 2, term there 1)");
  }

  @Test
  void aSnapshotNeverDisagreesWithTheCommittedLog() throws Exception {
    // No message reaches this guard: the runner snapshots the entries it applied, which are the
    // committed entries of our log, terms included.
    assertStopped(ServerStateFixture.run(testKit, 2, null, List.of(e(1, 1), e(2, 2)), s -> {
      s.commitTo(2);
      s.storeSnapshot(2, 1, 100);
    }), "node-1: snapshot at 2@1 does not match the committed log (commit index 2, term there 2)");
  }

  // ---- LogView and PersistQueue: guards no message reaches ----

  @Test
  void aServerNeverTruncatesPastTheEndOfItsLog() throws Exception {
    // No message reaches this guard: a follower truncates only where an entry of its log conflicts with
    // the leader's (LogView.merge), an index it holds; and ServerState refuses an index it committed,
    // which covers every index before the log's first. Past the end, LogView would move lastIndex forward
    // over entries that do not exist.
    assertStopped(ServerStateFixture.run(testKit, 1, null, List.of(e(1, 1), e(2, 1)), s -> s.truncateFrom(5)),
        "truncate from 5 outside [1, 2]");
  }

  @Test
  void theJournalConfirmsOnlyTheBatchInFlight() throws Exception {
    // No message reaches this guard: RaftLog persists one batch at a time and confirms each once, in
    // order. A confirmation of another batch would run the actions (replies that reveal our state) of a
    // batch that is not durable. PersistQueue's message names the batches, not the member.
    assertStopped(ServerStateFixture.run(testKit, 1, null, List.of(), s -> {
      s.append(e(1, 1));
      s.flush(); // batch 1 in flight
      s.persisted(2);
    }), "persisted batch 2 but batch 1 was in flight=true");
  }
}
