package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The runner stops loudly, naming member, group, index and cause, when a committed command cannot be
 * applied: unreadable bytes, or an Error from the state machine. What it applied before is answered; the
 * clients waiting for the rest of the batch learn the outcome is unknown.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateMachineRunnerFailureTest {

  private ActorTestKit testKit;
  private KryoCodec codec;
  private RaftSettings settings;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create();
    codec = RaftSerialization.get(testKit.system()).codec();
    settings = RaftSettings.fromConfig(ConfigFactory.load()).withSelfId("node-1");
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  /** Counts the commands applied; "boom" throws an Error. */
  private static final class Counting implements StateMachine<String, String, Long> {
    private long applied;

    @Override
    public Long apply(String command) {
      if (command.equals("boom")) throw new Error("boom");
      return ++applied;
    }

    @Override
    public Long query(String query) {
      return applied;
    }
  }

  /** Runs a runner under a parent that watches it; completes with the cause of its failure. */
  private CompletableFuture<Throwable> runWatched(List<LogEntry> entries, Map<Long, ClientRequest> replies)
      throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    TestProbe<ServerCommand> server = testKit.createTestProbe();
    testKit.spawn(Behaviors.<Void>setup(ctx -> {
      ActorRef<StateMachineRunner.Command> runner =
          ctx.spawn(StateMachineRunner.create("g", Counting::new, codec,
              new SnapshotFiles(settings.snapshotDir(), "unused"), settings, server.getRef(), new AppliedHistory(16)),
              "state-machine");
      ctx.watch(runner);
      runner.tell(new StateMachineRunner.Apply(entries, replies));
      return Behaviors.receive(Void.class)
          .onSignal(ChildFailed.class, failed -> {
            failure.complete(failed.getCause());
            return Behaviors.same();
          })
          .build();
    }));
    return failure;
  }

  private LogEntry command(long index, String command) {
    return new LogEntry(index, 1, LogEntry.Type.COMMAND, codec.toBytes(command));
  }

  private static ClientRequest waiting(TestProbe<ClientEnvelope> client, long tag) {
    return new ClientRequest.ClientCommand(new byte[0], 0, tag, client.getRef().narrow());
  }

  @Test
  void anUnreadableCommittedCommandStopsTheRunnerInsteadOfBeingSkipped() throws Exception {
    TestProbe<ClientEnvelope> client = testKit.createTestProbe();
    LogEntry unreadable = new LogEntry(2, 1, LogEntry.Type.COMMAND, new byte[] {(byte) 0xff, 0x13, 0x37});
    Throwable cause = runWatched(List.of(command(1, "a"), unreadable, command(3, "c")),
        Map.of(1L, waiting(client, 1), 2L, waiting(client, 2), 3L, waiting(client, 3)))
        .get(10, TimeUnit.SECONDS);

    assertInstanceOf(IllegalStateException.class, cause);
    assertTrue(cause.getMessage().contains("member node-1 of group g"), cause.getMessage());
    assertTrue(cause.getMessage().contains("committed command at index 2"), cause.getMessage());
    assertEquals(new ClientEnvelope.Tagged(1, new ClientReply.Applied(1L, 1)), client.receiveMessage());
    for (long tag = 2; tag <= 3; tag++) {
      ClientEnvelope.Tagged answer = assertInstanceOf(ClientEnvelope.Tagged.class, client.receiveMessage());
      assertEquals(tag, answer.tag());
      assertInstanceOf(ClientReply.Timeout.class, answer.reply(), answer.toString());
    }
  }

  @Test
  void anErrorFromTheStateMachineStopsTheRunnerWithAClearMessage() throws Exception {
    TestProbe<ClientEnvelope> client = testKit.createTestProbe();
    Throwable cause = runWatched(List.of(command(1, "boom")), Map.of(1L, waiting(client, 7)))
        .get(10, TimeUnit.SECONDS);

    assertInstanceOf(IllegalStateException.class, cause);
    assertTrue(cause.getMessage().contains("member node-1 of group g"), cause.getMessage());
    assertTrue(cause.getMessage().contains("java.lang.Error: boom"), cause.getMessage());
    assertTrue(cause.getMessage().contains("java.lang.String at index 1"), cause.getMessage());
    ClientEnvelope.Tagged answer = assertInstanceOf(ClientEnvelope.Tagged.class, client.receiveMessage());
    assertInstanceOf(ClientReply.Timeout.class, answer.reply(), answer.toString());
  }
}
