package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.annotation.InternalApi;

/**
 * One member of one Raft group: the server actor. It starts its children, waits for its durable state to
 * be recovered from the journal, and then plays one role at a time:
 *
 * <pre>
 * RaftServer "pekko-raft-&lt;group&gt;" role: Follower | PreCandidate | Candidate | Leader
 * ├── log            RaftLog, event-sourced: term, vote, snapshot and entries
 * ├── state-machine  StateMachineRunner: applies committed entries, serves reads, takes snapshots
 * └── (leader only)  one Replicator per peer
 * </pre>
 *
 * After every message, whatever the role queued for the journal is flushed as one batch (group commit).
 * The server is never restarted from memory: any failure stops it, and only a new start, which recovers
 * from the journal, brings it back (so it can never forget a vote it gave). When it stops, it answers at
 * once what waits on it: a leader's appended commands Timeout (outcome unknown), reads and requests it
 * held or stashed NotLeader(null) (not applied).
 */
@InternalApi
public final class RaftServer {

  private static final int RECOVERY_STASH = 1000;

  private RaftServer() {}

  public static Behavior<ServerCommand> create(
      String groupId, RaftSettings settings, Transport transport, Supplier<? extends StateMachine<?, ?, ?>> stateMachine) {
    return create(groupId, settings, transport, stateMachine, reason -> {});
  }

  /**
   * @param onStop called once when the server stops, with why (the failure's message, or "stopped" when it
   *     was stopped from outside, as when its ActorSystem terminates); on the server's thread, so it must
   *     not block
   */
  public static Behavior<ServerCommand> create(String groupId, RaftSettings settings, Transport transport,
      Supplier<? extends StateMachine<?, ?, ?>> stateMachine, Consumer<String> onStop) {
    checkSelfId(groupId, settings);
    return Behaviors.setup(ctx -> create(groupId, settings, transport, stateMachine, onStop,
        AppliedHistory.fromConfig(ctx.getSystem().settings().config())));
  }

  /**
   * @param history where the state machine runner records each command it applies, for watches
   *     ({@code RaftGroup.watchApplied}); one per server incarnation
   */
  public static Behavior<ServerCommand> create(String groupId, RaftSettings settings, Transport transport,
      Supplier<? extends StateMachine<?, ?, ?>> stateMachine, Consumer<String> onStop, AppliedHistory history) {
    checkSelfId(groupId, settings);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(RECOVERY_STASH, stash -> {
      SnapshotFiles snapshots = new SnapshotFiles(settings.snapshotDir(), persistenceId(groupId, settings.selfId()));
      ActorRef<StateMachineRunner.Command> runner = ctx.spawn(StateMachineRunner.create(groupId, stateMachine,
          RaftSerialization.get(ctx.getSystem()).codec(), snapshots, settings, ctx.getSelf(), history), "state-machine");
      ActorRef<RaftLog.Command> logActor = ctx.spawn(
          RaftLog.create(persistenceId(groupId, settings.selfId()), settings.journalPluginId(),
              settings.snapshotPluginId(), settings.logMemoryBytesMax(), ctx.getSelf()), "log");
      ctx.watch(logActor);
      ctx.watch(runner);
      StopReason stopReason = new StopReason(onStop);
      return Behaviors.receive(ServerCommand.class)
          .onMessage(Internal.Recovered.class, recovered -> {
            ServerState state = new ServerState(groupId, settings, ctx, timers, transport, logActor, runner, snapshots, recovered);
            state.persist.flush(); // a new disk's replica id is its first write, whatever arrives first
            ctx.getLog().info("{} of group {} recovered term {}, a snapshot up to index {} and {} log entries after it"
                    + " ({} of them in memory)", settings.selfId(), groupId, recovered.currentTerm(),
                recovered.snapshotIndex(), recovered.log().size(), recovered.log().lastIndex() + 1 - recovered.log().tailStart());
            transport.bind(settings.selfId(), ctx.getSelf(), ctx);
            return stash.unstashAll(
                Behaviors.intercept(() -> new FlushAfterEachMessage(state, stopReason), Role.initial(state)));
          })
          .onMessage(ServerCommand.class, m -> {
            if (!stash.isFull()) stash.stash(m);
            else refuseDuringRecovery(m, ctx.getLog());
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            IllegalStateException failure = new IllegalStateException(settings.selfId() + " of group " + groupId
                + ": " + t.getRef().path().name() + " stopped during recovery (journal or state machine failure)",
                t instanceof ChildFailed failed ? failed.getCause() : null);
            stopReason.failed(failure);
            throw failure;
          })
          .onSignal(PostStop.class, stop -> {
            stash.forEach(m -> refuseDuringRecovery(m, ctx.getLog())); // never to be handled
            stopReason.report();
            return Behaviors.same();
          })
          .build();
    })));
  }

  private static void checkSelfId(String groupId, RaftSettings settings) {
    // A member id outside the bootstrap members is a joining node: it waits as a non-member until a leader adds it.
    if (settings.selfId().isEmpty()) {
      throw new IllegalArgumentException("group " + groupId + " has no member id for this server (pekko-raft.self-id)");
    }
  }

  /**
   * What this server will not handle while it recovers: a client request is answered NotLeader(null),
   * not applied and safe to retry; a peer's RPC is dropped, as the network may drop it (the protocol
   * sends it again).
   */
  private static void refuseDuringRecovery(ServerCommand m, org.slf4j.Logger log) {
    if (m instanceof ClientRequest request) {
      request.reply(new ClientReply.NotLeader(null));
    } else if (m instanceof ClientBatch batch) {
      for (ClientRequest request : batch.requests()) request.reply(new ClientReply.NotLeader(null));
    } else if (m instanceof TransferLeadership transfer) {
      transfer.replyTo().tell(new TransferReply.NotLeader(null));
    } else {
      log.debug("Dropping {} received during recovery: the recovery stash ({}) is full", m, RECOVERY_STASH);
    }
  }

  /** Why the server stopped: the first failure seen, reported once to the onStop callback. */
  private static final class StopReason {
    private final Consumer<String> onStop;
    private Throwable failure;
    private boolean reported;

    StopReason(Consumer<String> onStop) {
      this.onStop = onStop;
    }

    void failed(Throwable t) {
      if (failure == null) failure = t;
    }

    void report() {
      if (reported) return;
      reported = true;
      onStop.accept(failure == null ? "stopped" : String.valueOf(failure.getMessage()));
    }
  }

  /**
   * The name of a group's server actor, a system actor: on every member it lives at
   * {@code <member address>/system/<this name>}, so a client can address it before the receptionist
   * lists it.
   */
  public static String actorName(String groupId) {
    return "pekko-raft-" + groupId;
  }

  /** The journal's persistence id of a member's log; stable, never change it. */
  public static String persistenceId(String groupId, String memberId) {
    return "pekko-raft|" + groupId + "|" + memberId;
  }

  /** Flush the journal batch after every message: one write covers all that queued while the last was in flight. */
  private static final class FlushAfterEachMessage extends BehaviorInterceptor<ServerCommand, ServerCommand> {
    private final ServerState state;
    private final StopReason stopReason;

    FlushAfterEachMessage(ServerState state, StopReason stopReason) {
      super(ServerCommand.class);
      this.state = state;
      this.stopReason = stopReason;
    }

    @Override
    public Behavior<ServerCommand> aroundReceive(
        TypedActorContext<ServerCommand> ctx, ServerCommand msg, ReceiveTarget<ServerCommand> target) {
      Behavior<ServerCommand> next;
      try {
        next = target.apply(ctx, msg);
      } catch (RuntimeException | Error e) {
        stopReason.failed(e); // a broken invariant: the server stops with it
        throw e;
      }
      state.persist.flush();
      return next;
    }

    @Override
    public Behavior<ServerCommand> aroundSignal(
        TypedActorContext<ServerCommand> ctx, Signal signal, SignalTarget<ServerCommand> target) {
      Behavior<ServerCommand> next;
      try {
        next = target.apply(ctx, signal); // on PostStop, the role answers what it waits on
      } catch (RuntimeException | Error e) {
        stopReason.failed(e); // the log or the state machine stopped
        throw e;
      }
      if (signal instanceof PostStop) {
        stopReason.report();
        return next;
      }
      state.persist.flush();
      return next;
    }
  }
}
