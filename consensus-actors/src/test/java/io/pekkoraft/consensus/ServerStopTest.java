package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * A server that stops answers at once what waits on it, and its RaftGroup fails at once afterwards,
 * instead of leaving clients to their ask timeout. node-1 is real; node-2 and node-3 are played by the
 * test and never acknowledge anything, so commands and reads stay waiting on the leader.
 */
class ServerStopTest {

  private static final Set<String> PEERS = Set.of("node-2", "node-3");

  private static RaftGroup<String, String, Long> groupOn(SimCluster c, String member) {
    return new RaftGroup<>(SimCluster.GROUP, member, c.server(member), c.testKit.system(),
        RaftSerialization.get(c.testKit.system()).codec(), Duration.ofSeconds(30), c.stopped(member));
  }

  @Test
  void aStoppingLeaderAnswersItsWaitingCommandsAndReadsAtOnce() {
    // Appended commands may still commit under another leader: outcome unknown. Reads were not served:
    // NotLeader(null), safe to retry.
    try (SimCluster c = SimCluster.startWithPuppets(3, 61, "", PEERS)) {
      c.electWithPuppetVote("node-1", "node-2");
      List<ReplyBox> commands = c.submitAll("node-1", List.of("a", "b"));
      ReplyBox read = c.read("node-1", ReadConsistency.LINEARIZABLE);
      for (ReplyBox box : commands) assertEquals(null, box.first(), "nothing can commit without the puppets");
      assertEquals(null, read.first());

      c.crash("node-1"); // stops the server actor, as a failure or the ActorSystem's termination would

      for (ReplyBox box : commands) {
        ClientReply.Timeout unknown = assertInstanceOf(ClientReply.Timeout.class, box.first());
        assertTrue(unknown.reason().contains("outcome unknown"), unknown.reason());
      }
      assertEquals(new ClientReply.NotLeader(null), read.first());
    }
  }

  @Test
  void aGroupWhoseServerStoppedFailsAtOnceSayingWhy() {
    // A second leader in node-1's term is a broken invariant: node-1 stops. Its RaftGroup then fails every
    // call at once, naming group, member and reason, without sending anything.
    try (SimCluster c = SimCluster.startWithPuppets(3, 67, "", PEERS)) {
      long term = c.electWithPuppetVote("node-1", "node-2");
      RaftGroup<String, String, Long> group = groupOn(c, "node-1");
      c.sendAs("node-3", "node-1", new RaftMessage.Heartbeat(term, "node-3", 0, 0));
      assertTrue(c.stopped("node-1").isDone(), "node-1 should have stopped");

      CompletableFuture<Long> submitted = group.submit("late").toCompletableFuture();
      CompletableFuture<Long> read = group.read("count").toCompletableFuture();
      for (CompletableFuture<Long> call : List.of(submitted, read)) {
        assertTrue(call.isDone(), "a call to a stopped server must fail at once");
        ExecutionException failure = assertThrows(ExecutionException.class, call::get);
        RaftException.ServerStopped stopped = assertInstanceOf(RaftException.ServerStopped.class, failure.getCause());
        assertTrue(stopped.getMessage().contains("group " + SimCluster.GROUP + " on member node-1 has stopped"),
            stopped.getMessage());
        assertTrue(stopped.getMessage().contains("also sends heartbeats as leader"), stopped.getMessage());
      }
    }
  }

  @Test
  void aServerRecoveringWithAFullStashAnswersClientsNotLeaderInsteadOfDroppingThem() {
    // While it recovers, a server stashes what arrives, up to 1,000 messages. A client request beyond that
    // is answered NotLeader(null) at once (not applied, safe to retry) instead of waiting for its timeout;
    // the stashed ones are served once recovery ends.
    try (SimCluster c = SimCluster.start(3, 71)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("before", 3, false);
      String member = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.crash(member);
      String persistenceId = io.pekkoraft.consensus.impl.RaftServer.persistenceId(SimCluster.GROUP, member);
      c.disk.holdRecovery(persistenceId);
      c.restart(member);

      List<String> commands = new java.util.ArrayList<>();
      for (int i = 0; i < 1001; i++) commands.add("r" + i);
      List<ReplyBox> boxes = c.submitAll(member, commands);
      assertEquals(new ClientReply.NotLeader(null), boxes.get(1000).first(), "the 1,001st request");
      for (int i = 0; i < 1000; i++) assertEquals(null, boxes.get(i).first(), "stashed request " + i);

      c.disk.releaseRecovery(persistenceId);
      c.settle();
      assertTrue(c.advanceUntil(() -> boxes.subList(0, 1000).stream().allMatch(b -> b.first() != null),
          Duration.ofSeconds(5)), "the stashed requests are handled after recovery");
      c.checker.assertSafe();
    }
  }
}
