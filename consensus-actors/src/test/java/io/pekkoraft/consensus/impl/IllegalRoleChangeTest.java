package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.consensus.transport.Transport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 * A role change the role state diagram does not have stops the server with an exception naming both
 * roles, before the leaving role's cleanup or the new role's start run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IllegalRoleChangeTest {

  private ActorTestKit testKit;
  private RaftSettings settings;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create();
    settings = RaftSettings.fromConfig(ConfigFactory.parseString("""
        pekko-raft.members = [
          {id = "node-1", address = "pekko://a@127.0.0.1:1"},
          {id = "node-2", address = "pekko://b@127.0.0.1:2"},
          {id = "node-3", address = "pekko://c@127.0.0.1:3"}
        ]
        """).withFallback(ConfigFactory.load())).withSelfId("node-1");
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private static final Transport NOWHERE = new Transport() {
    @Override
    public void bind(String selfId, ActorRef<ServerCommand> server,
        org.apache.pekko.actor.typed.javadsl.ActorContext<ServerCommand> context) {}

    @Override
    public boolean send(String to, ServerCommand message) {
      return false;
    }
  };

  @Test
  void aFollowerThatWouldLeadWithoutAnElectionStopsItsServer() throws Exception {
    // A follower told to become leader (no election won) fails loudly instead of leading.
    TestProbe<RaftLog.Command> journal = testKit.createTestProbe();
    TestProbe<StateMachineRunner.Command> runner = testKit.createTestProbe();
    AtomicReference<ServerState> server = new AtomicReference<>();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    testKit.spawn(Behaviors.<Void>setup(parent -> {
      ActorRef<ServerCommand> child = parent.spawn(Behaviors.<ServerCommand>setup(ctx -> Behaviors.withTimers(timers -> {
        ServerState state = new ServerState("g", settings, ctx, timers, NOWHERE, journal.getRef(), runner.getRef(),
            new SnapshotFiles(settings.snapshotDir(), "unused"), new Internal.Recovered(3, null, 0, 0, 0, new LogView()));
        server.set(state);
        Follower follower = (Follower) Role.initial(state);
        return follower.become(new Leader(state));
      })), "server");
      parent.watch(child);
      return Behaviors.receive(Void.class)
          .onSignal(ChildFailed.class, failed -> {
            failure.complete(failed.getCause());
            return Behaviors.same();
          })
          .build();
    }));

    Throwable cause = failure.get(10, TimeUnit.SECONDS);
    if (cause instanceof org.apache.pekko.actor.ActorInitializationException init) cause = init.getCause(); // in setup
    assertInstanceOf(IllegalStateException.class, cause, String.valueOf(cause));
    assertTrue(cause.getMessage().contains("node-1 of group g in term 3: FOLLOWER -> LEADER"), cause.getMessage());
    assertTrue(cause.getMessage().contains("not a transition of the role state diagram"), cause.getMessage());
    // The leader never started: no no-op appended, no leader named.
    assertEquals(0, server.get().log.lastIndex());
    assertNull(server.get().leaderId);
  }
}
