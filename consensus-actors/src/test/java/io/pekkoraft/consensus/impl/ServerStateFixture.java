package io.pekkoraft.consensus.impl;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A real {@link ServerState} of member "node-1" (of node-1, node-2, node-3) in an actor of its own, for
 * tests of invariant guards that no message from a peer can reach: the test names the steps, the actor
 * runs them while handling a message, as a server handles one, and a guard that throws stops the actor.
 * Its journal and state machine runner are test probes that never answer. In the tests' sources, in this
 * package, because ServerState is package-private.
 */
public final class ServerStateFixture {

  /** The member every fixture server is. */
  public static final String SELF = "node-1";

  private static final Transport NOWHERE = new Transport() {
    @Override
    public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {}

    @Override
    public boolean send(String to, ServerCommand message) {
      return false;
    }
  };

  private ServerStateFixture() {}

  /** What the test does to the server's state. */
  @FunctionalInterface
  public interface Steps {
    void run(Server server);
  }

  /** The calls a role makes on its ServerState, and the journal's "batch stored" notice. */
  public static final class Server {
    private final ServerState state;

    private Server(ServerState state) {
      this.state = state;
    }

    public void adoptTerm(long term) {
      state.adoptTerm(term);
    }

    public void castVote(String candidateId) {
      state.castVote(candidateId);
    }

    public void append(LogEntry... entries) {
      state.append(List.of(entries));
    }

    public void truncateFrom(long index) {
      state.truncateFrom(index);
    }

    public void commitTo(long index) {
      state.commitTo(index, Map.of());
    }

    public boolean storeSnapshot(long index, long term, long bytes) {
      return state.storeSnapshot(index, term, bytes);
    }

    /** Send what is queued to the journal as one batch, as the server does after each message. */
    public void flush() {
      state.persist.flush();
    }

    /** The journal reports batch {@code batchSeq} stored (Internal.Persisted). */
    public void persisted(long batchSeq) {
      state.persist.onPersisted(batchSeq);
    }
  }

  /** The message on which the server actor runs the steps. */
  private record Run(Steps steps) implements ServerCommand {}

  /**
   * Starts a server that recovered {@code term}, {@code votedFor} (null: none) and {@code log}, runs
   * {@code steps} in it and returns the failure that stopped it, or null when it carried on.
   */
  public static Throwable run(ActorTestKit testKit, long term, String votedFor, List<LogEntry> log, Steps steps)
      throws Exception {
    return run(testKit, NOWHERE, term, votedFor, log, steps);
  }

  /** {@link #run(ActorTestKit, long, String, List, Steps)} with this transport to the peers. */
  public static Throwable run(ActorTestKit testKit, Transport transport, long term, String votedFor, List<LogEntry> log,
      Steps steps) throws Exception {
    RaftSettings settings = RaftSettings.fromConfig(ConfigFactory.parseString("""
        pekko-raft.members = [
          {id = "node-1", address = "pekko://a@127.0.0.1:1"},
          {id = "node-2", address = "pekko://b@127.0.0.1:2"},
          {id = "node-3", address = "pekko://c@127.0.0.1:3"}
        ]
        """).withFallback(ConfigFactory.load())).withSelfId(SELF);
    ActorRef<RaftLog.Command> journal = testKit.<RaftLog.Command>createTestProbe().getRef();
    ActorRef<StateMachineRunner.Command> runner = testKit.<StateMachineRunner.Command>createTestProbe().getRef();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    testKit.spawn(Behaviors.<Void>setup(parent -> {
      ActorRef<ServerCommand> server = parent.spawn(Behaviors.<ServerCommand>setup(ctx -> Behaviors.withTimers(timers -> {
        ServerState state = new ServerState("g", settings, ctx, timers, transport, journal, runner,
            new SnapshotFiles(settings.snapshotDir(), "unused"),
            new Internal.Recovered(term, votedFor, 0, 0, 0, new LogView(log)));
        return Behaviors.receive(ServerCommand.class)
            .onMessage(Run.class, r -> {
              r.steps().run(new Server(state));
              outcome.complete(null); // carried on
              return Behaviors.same();
            })
            .build();
      })), "server");
      parent.watch(server);
      server.tell(new Run(steps));
      return Behaviors.receive(Void.class)
          .onSignal(ChildFailed.class, failed -> {
            outcome.complete(failed.getCause());
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            outcome.complete(new AssertionError("the server stopped without a failure"));
            return Behaviors.same();
          })
          .build();
    }));
    return outcome.get(10, TimeUnit.SECONDS);
  }
}
