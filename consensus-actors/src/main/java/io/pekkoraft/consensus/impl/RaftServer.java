package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.Internal;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * One member of one Raft group: the server actor. It starts its children, waits for its durable state to
 * be recovered from the journal, and then plays one role at a time:
 *
 * <pre>
 * RaftServer "&lt;group&gt;"            role: Follower | PreCandidate | Candidate | Leader
 * ├── log            RaftLog, event-sourced: term, vote, snapshot and entries
 * ├── state-machine  StateMachineRunner: applies committed entries, serves reads, takes snapshots
 * └── (leader only)  one Replicator per peer
 * </pre>
 *
 * After every message, whatever the role queued for the journal is flushed as one batch (group commit).
 * The server is never restarted from memory: any failure stops it, and only a new start, which recovers
 * from the journal, brings it back (so it can never forget a vote it gave).
 */
public final class RaftServer {

  private static final int RECOVERY_STASH = 1000;

  private RaftServer() {}

  public static Behavior<ServerCommand> create(
      String groupId, RaftSettings settings, Transport transport, Supplier<? extends StateMachine<?, ?, ?>> stateMachine) {
    if (settings.selfId().isEmpty() || !settings.members().containsKey(settings.selfId())) {
      throw new IllegalArgumentException("member id '" + settings.selfId() + "' is not among the members of group "
          + groupId + ": " + settings.members().keySet() + " (pekko-raft.self-id, pekko-raft.members)");
    }
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(RECOVERY_STASH, stash -> {
      ActorRef<StateMachineRunner.Command> runner = ctx.spawn(
          StateMachineRunner.create(
              groupId, stateMachine, RaftSerialization.get(ctx.getSystem()).codec(), settings, ctx.getSelf()),
          "state-machine");
      ActorRef<RaftLog.Command> raftLog = ctx.spawn(
          RaftLog.create(persistenceId(groupId, settings.selfId()), settings.journalPluginId(),
              settings.snapshotPluginId(), ctx.getSelf()), "log");
      ctx.watch(raftLog);
      ctx.watch(runner);
      return Behaviors.receive(ServerCommand.class)
          .onMessage(Internal.Recovered.class, recovered -> {
            RaftNode node = new RaftNode(groupId, settings, ctx, timers, transport, raftLog, runner, recovered);
            ctx.getLog().info("{} of group {} recovered term {}, a snapshot up to index {} and {} log entries after it",
                settings.selfId(), groupId, recovered.currentTerm(), recovered.snapshotIndex(), recovered.entries().size());
            transport.bind(settings.selfId(), ctx.getSelf(), ctx);
            return stash.unstashAll(Behaviors.intercept(() -> new FlushAfterEachMessage(node), new Follower(node)));
          })
          .onMessage(ServerCommand.class, m -> {
            if (stash.isFull()) ctx.getLog().warn("Dropping {} received during recovery: stash full", m);
            else stash.stash(m);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            throw new IllegalStateException(settings.selfId() + " of group " + groupId + ": " + t.getRef().path().name()
                + " stopped during recovery (journal or state machine failure)");
          })
          .build();
    })));
  }

  /** The journal's persistence id of a member's log; stable, never change it. */
  public static String persistenceId(String groupId, String memberId) {
    return "pekko-raft|" + groupId + "|" + memberId;
  }

  /** Flush the journal batch after every message: one write covers all that queued while the last was in flight. */
  private static final class FlushAfterEachMessage extends BehaviorInterceptor<ServerCommand, ServerCommand> {
    private final RaftNode node;

    FlushAfterEachMessage(RaftNode node) {
      super(ServerCommand.class);
      this.node = node;
    }

    @Override
    public Behavior<ServerCommand> aroundReceive(
        TypedActorContext<ServerCommand> ctx, ServerCommand msg, ReceiveTarget<ServerCommand> target) {
      Behavior<ServerCommand> next = target.apply(ctx, msg);
      node.persist.flush();
      return next;
    }

    @Override
    public Behavior<ServerCommand> aroundSignal(
        TypedActorContext<ServerCommand> ctx, Signal signal, SignalTarget<ServerCommand> target) {
      Behavior<ServerCommand> next = target.apply(ctx, signal);
      node.persist.flush();
      return next;
    }
  }
}
