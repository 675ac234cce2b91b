package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.sim.RecordingStateMachine;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * How applying a committed command can end, one test per outcome: applied, refused by the state machine
 * (the same on every replica), or the node stops (a command it cannot read, an Error from the state
 * machine). A committed command is never skipped.
 */
class StateMachineOutcomesTest {

  private static final Duration ELECTION_WAIT = Duration.ofSeconds(5);
  private static final Duration STOP_WAIT = Duration.ofSeconds(10);

  private static RaftGroup<String, String, Long> groupOn(SimCluster c, String member) {
    return new RaftGroup<>(SimCluster.GROUP, member, c.server(member), c.testKit.system(),
        RaftSerialization.get(c.testKit.system()).codec(), Duration.ofSeconds(30), c.stopped(member));
  }

  @Test
  void aCommandTheStateMachineRefusesFailsWithCommandFailedAndEveryReplicaRefusesItAlike() {
    // A RuntimeException from apply: the command was committed and every replica refused it, leaving its
    // state unchanged. The client learns that (CommandFailed, not "not applied"), and the group goes on.
    try (SimCluster c = SimCluster.start(3, 41)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      c.one("before", 3, false);

      ReplyBox typed = c.submit(leader, RecordingStateMachine.REFUSE + "typed");
      assertTrue(c.advanceUntil(() -> typed.first() != null, Duration.ofSeconds(2)));
      ClientReply.CommandFailed reply = assertInstanceOf(ClientReply.CommandFailed.class, typed.first());
      assertTrue(reply.reason().contains("refused " + RecordingStateMachine.REFUSE + "typed"), reply.reason());

      CompletableFuture<Long> submitted =
          groupOn(c, leader).submit(RecordingStateMachine.REFUSE + "api").toCompletableFuture();
      assertTrue(c.advanceUntil(submitted::isDone, Duration.ofSeconds(2)));
      ExecutionException failure = assertThrows(ExecutionException.class, submitted::get);
      RaftException.CommandFailed failed = assertInstanceOf(RaftException.CommandFailed.class, failure.getCause());
      // the handle opened its client session first: one entry before its command
      assertEquals(reply.index() + 2, failed.index(), failed.getMessage());

      c.one("after", 3, false);
      for (String member : c.members()) {
        assertTrue(c.isRunning(member), member);
        assertEquals(List.of("before", "after"), c.checker.applied(member), member);
      }
      c.checker.assertSafe();
    }
  }

  @Test
  void aCommittedCommandThatCannotBeReadStopsTheServer() {
    // A replica that cannot deserialize a committed command (another registrar, another class version)
    // stops instead of skipping it and diverging from those that can. The leader that sends it here is a
    // puppet: a real leader never appends bytes it cannot read (see the next test).
    try (SimCluster c = SimCluster.startWithPuppets(3, 43, "", Set.of("node-2", "node-3"))) {
      LogEntry unreadable = new LogEntry(1, 1, LogEntry.Type.COMMAND, new byte[] {(byte) 0xff, 0x13, 0x37});
      c.sendAs("node-2", "node-1", new RaftMessage.AppendEntries(1, "node-2", 0, 0, List.of(unreadable), 1, 1));
      c.settle();
      TestProbe<Object> watcher = c.testKit.createTestProbe();
      watcher.expectTerminated(c.server("node-1"), STOP_WAIT);
    }
  }

  @Test
  void theLeaderRefusesBytesItCannotReadBeforeAppendingThem() {
    // Bytes that do not deserialize, which a client of the actor protocol could send, would stop every
    // replica once committed: the leader answers Rejected (not applied) and never appends them.
    try (SimCluster c = SimCluster.start(3, 47)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      ReplyBox garbage = c.submitBytes(leader, new byte[] {(byte) 0xff, 0x13, 0x37});
      c.settle();
      assertInstanceOf(ClientReply.Rejected.class, garbage.first());
      c.one("fine", 3, false);
      for (String member : c.members()) assertTrue(c.isRunning(member), member);
    }
  }

  @Test
  void anErrorFromTheStateMachineStopsTheServerAndItsClientLearnsTheOutcomeIsUnknown() {
    // An Error may leave the state half changed: a replica that applies the command stops (here the leader,
    // which applies it first), and the client waiting on it is answered at once: outcome unknown.
    try (SimCluster c = SimCluster.start(3, 53)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      c.one("before", 3, false);
      ReplyBox broken = c.submit(leader, RecordingStateMachine.BREAK + "x");
      assertTrue(c.advanceUntil(() -> broken.first() != null, Duration.ofSeconds(2)), "no answer to the client");
      ClientReply.Timeout unknown = assertInstanceOf(ClientReply.Timeout.class, broken.first());
      assertTrue(unknown.reason().contains("outcome unknown"), unknown.reason());
      TestProbe<Object> watcher = c.testKit.createTestProbe();
      watcher.expectTerminated(c.server(leader), STOP_WAIT);
    }
  }
}
