package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * Client sessions, one narrative per rule: a command is applied at most once per (session, sequence) and a
 * retry is answered with the first result, across a leader change, a snapshot sent to a follower and a
 * restart; sessions expire by log time; the table is bounded; and the client retries an outcome-unknown
 * command itself until it has the one result.
 */
class SessionScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Makes entries large enough that the leader's replicator cannot buffer what a follower missed. */
  private static final String PADDING = "x".repeat(100);

  private static KryoCodec codec(SimCluster c) {
    return RaftSerialization.get(c.testKit.system()).codec();
  }

  private static long openSession(SimCluster c, String leader) {
    ReplyBox box = c.request(leader, replyTo -> ClientRequest.ClientCommand.openSession(0, 0, replyTo));
    assertTrue(c.advanceUntil(() -> box.first() != null, WAIT), "the session was not opened");
    return (Long) assertInstanceOf(ClientReply.Applied.class, box.first()).result();
  }

  private static ReplyBox send(SimCluster c, String to, long session, long sequence, long acked, String command) {
    byte[] bytes = codec(c).toBytes(command);
    return c.request(to, replyTo -> new ClientRequest.ClientCommand(bytes, session, sequence, acked, 0, 0, replyTo));
  }

  private static ClientReply answer(SimCluster c, ReplyBox box) {
    assertTrue(c.advanceUntil(() -> box.first() != null, WAIT), "no answer");
    return box.first();
  }

  private static long timesApplied(SimCluster c, String member, String command) {
    return Collections.frequency(c.checker.applied(member), command);
  }

  /**
   * A command is applied, its answer lost; the leader crashes, and the client sends the command again, with
   * its sequence, to the new leader: it is not applied a second time, and the answer is the first one.
   */
  @Test
  void retryAfterLeaderChangeIsAnsweredWithTheFirstResultNotAppliedTwice() {
    try (SimCluster c = SimCluster.start(3, 1301)) {
      String leader = c.awaitOneLeader(WAIT);
      long session = openSession(c, leader);
      ClientReply first = answer(c, send(c, leader, session, 1, 0, "pay-100"));
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("pay-100") == 3, WAIT), "not applied everywhere");
      c.crash(leader); // the answer never reached the client: it retries
      String next = c.awaitOneLeader(WAIT);
      ClientReply retry = answer(c, send(c, next, session, 1, 0, "pay-100"));
      assertEquals(first, retry, "the retry must be answered with the first result");
      c.advance(Duration.ofSeconds(1));
      for (String m : c.members()) {
        if (c.isRunning(m)) assertEquals(1, timesApplied(c, m, "pay-100"), m + " applied the command twice");
      }
      c.checker.assertSafe();
    }
  }

  /**
   * The session table travels in snapshots: a follower that was down receives the leader's snapshot (the log
   * before it compacted away), restarts from it, then leads and receives a retry of a command the snapshot
   * covers: it answers the first result and applies nothing.
   */
  @Test
  void sessionTableSurvivesSnapshotInstallAndRestart() {
    try (SimCluster c = SimCluster.start(3, 1302, "pekko-raft.snapshot.every-entries = 20\n"
        + "pekko-raft.snapshot.trailing-entries = 5\npekko-raft.snapshot.chunk-size = 1 KiB\n"
        + "pekko-raft.replication.batch-bytes-max = 1 KiB\npekko-raft.replication.window = 2\n"
        + "pekko-raft.client.request-bytes-max = 1 KiB\n")) {
      String leader = c.awaitOneLeader(WAIT);
      String behind = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.isolate(behind);
      long session = openSession(c, leader);
      ClientReply first = answer(c, send(c, leader, session, 1, 0, "deposit"));
      for (int i = 0; i < 150; i += 10) {
        java.util.List<String> ten = new java.util.ArrayList<>();
        for (int j = i; j < i + 10; j++) ten.add("filler-" + j + "-" + PADDING);
        c.submitAll(leader, ten);
        c.advance(Duration.ofMillis(20));
      }
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("filler-149-" + PADDING) == 2, WAIT), "fillers not applied");
      // snapshots taken, logs compacted past the session's entries
      c.network.reconnect(behind);
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("filler-149-" + PADDING) == 3, WAIT), behind + " did not catch up");
      assertTrue(c.checker.restores(behind) >= 1, behind + " caught up from the leader's snapshot");
      c.crash(behind);
      c.restart(behind); // from its own snapshot file now
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("filler-149-" + PADDING) == 3, WAIT), behind + " did not recover");
      transfer(c, leader, behind);
      assertTrue(c.advanceUntil(() -> c.leaders().equals(java.util.Set.of(behind)), WAIT), behind + " does not lead");
      ClientReply retry = answer(c, send(c, behind, session, 1, 0, "deposit"));
      assertEquals(first, retry, "the new leader must answer the retry from the session table of its snapshot");
      for (String m : c.members()) assertEquals(1, timesApplied(c, m, "deposit"), m + " applied the command twice");
      c.checker.assertSafe();
    }
  }

  private static void transfer(SimCluster c, String leader, String target) {
    ActorRef<io.pekkoraft.consensus.protocol.TransferReply> sink =
        c.testKit.spawn(Behaviors.<io.pekkoraft.consensus.protocol.TransferReply>ignore());
    c.server(leader).tell(new TransferLeadership(target, true, sink));
    c.settle();
  }

  /**
   * A session expires by log time: when an entry's time is more than the ttl past the session's last entry,
   * its retry is answered SessionExpired and not applied, though the table held its first answer.
   */
  @Test
  void sessionExpiresByLogTime() {
    try (SimCluster c = SimCluster.start(3, 1303, "pekko-raft.session.ttl = 5s\npekko-raft.client.ask-timeout = 2s\n")) {
      String leader = c.awaitOneLeader(WAIT);
      long session = openSession(c, leader);
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, session, 1, 0, "once")));
      c.advance(Duration.ofSeconds(6)); // simulated time: the leader stamps the next entries 6 s later
      answer(c, c.submit(leader, "tick")); // an entry whose log time is past the ttl
      ClientReply retry = answer(c, send(c, leader, session, 1, 0, "once"));
      assertInstanceOf(ClientReply.SessionExpired.class, retry, "a retry after the ttl must find the session expired");
      ClientReply next = answer(c, send(c, leader, session, 2, 1, "twice"));
      assertInstanceOf(ClientReply.SessionExpired.class, next, "nor may a new command of it apply");
      for (String m : c.members()) {
        assertEquals(1, timesApplied(c, m, "once"), m);
        assertEquals(0, timesApplied(c, m, "twice"), m);
      }
    }
  }

  /**
   * The table is bounded: opening a session beyond max-sessions evicts the least recently active one (its
   * commands are then SessionExpired, not applied), and a session whose client leaves more than
   * max-cached-results-per-session answers unacknowledged ends, the command beyond not applied.
   */
  @Test
  void tableBounds() {
    try (SimCluster c = SimCluster.start(3, 1304,
        "pekko-raft.session.max-sessions = 2\npekko-raft.session.max-cached-results-per-session = 2\n")) {
      String leader = c.awaitOneLeader(WAIT);
      long oldest = openSession(c, leader);
      long second = openSession(c, leader);
      long third = openSession(c, leader); // evicts the least recently active: oldest
      assertInstanceOf(ClientReply.SessionExpired.class, answer(c, send(c, leader, oldest, 1, 0, "evicted")));
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, second, 1, 0, "s2-1")));
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, second, 2, 0, "s2-2")));
      ClientReply beyond = answer(c, send(c, leader, second, 3, 0, "s2-3")); // two answers unacknowledged
      assertInstanceOf(ClientReply.SessionExpired.class, beyond, "beyond the cached results the session ends");
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, third, 1, 0, "s3-1")));
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, third, 2, 1, "s3-2")));
      assertInstanceOf(ClientReply.Applied.class, answer(c, send(c, leader, third, 3, 2, "s3-3")),
          "acknowledged answers are dropped and make room");
      c.advance(Duration.ofSeconds(1));
      for (String m : c.members()) {
        assertEquals(0, timesApplied(c, m, "evicted"), m);
        assertEquals(0, timesApplied(c, m, "s2-3"), m);
        assertEquals(1, timesApplied(c, m, "s3-3"), m);
      }
    }
  }

  /**
   * The client's own retry loop, on a member's local path (as RaftGroup.submit): the leader appends the
   * command and replicates it, but hears no acknowledgement and crashes; its waiting client is told Timeout
   * (outcome unknown). The loop sends the command again, with its sequence, until the new leader answers:
   * the caller gets the single result, and the command is applied once.
   */
  @Test
  void clientRetriesAcrossALeaderCrashAndGetsTheSingleResult() throws Exception {
    try (SimCluster c = SimCluster.start(3, 1305)) {
      String leader = c.awaitOneLeader(WAIT);
      String local = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      RaftSettings settings = RaftSettings.fromConfig(c.testKit.system().settings().config());
      RequestLoop loop = new RequestLoop(c.testKit.system(), codec(c), settings.session(), c::nanoTime);
      RequestLoop.Route route = localRoute(c.server(local));
      waitFor(c, loop.command("warm-up", route, Duration.ofSeconds(8))); // opens the session
      // The leader hears no acknowledgement of what it appends from now on: nothing more commits under it.
      c.network.dropWhen((from, to, m) -> to.equals(leader) && m instanceof RaftMessage.AppendEntriesResponse);
      CompletableFuture<Long> result = loop.<Long>command("transfer-7", route, Duration.ofSeconds(8)).toCompletableFuture();
      c.advance(Duration.ofMillis(50)); // appended by the leader, replicated to both followers
      c.crash(leader);
      c.network.dropNothing();
      assertTrue(c.advanceUntil(result::isDone, WAIT), "the client gave up");
      Long applied = result.get();
      assertTrue(applied > 0);
      c.advance(Duration.ofSeconds(1));
      for (String m : c.members()) {
        if (c.isRunning(m)) assertEquals(1, timesApplied(c, m, "transfer-7"), m + " applied the command twice");
      }
      loop.close();
    }
  }

  private static void waitFor(SimCluster c, java.util.concurrent.CompletionStage<Object> stage) throws Exception {
    CompletableFuture<Object> f = stage.toCompletableFuture();
    assertTrue(c.advanceUntil(f::isDone, WAIT), "no answer");
    f.get();
  }

  private static RequestLoop.Route localRoute(ActorRef<ServerCommand> server) {
    return io.pekkoraft.consensus.testing.Routes.toOne(server);
  }
}

