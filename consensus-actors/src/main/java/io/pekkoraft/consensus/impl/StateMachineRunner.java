package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.Internal;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Applies committed entries, strictly in index order, to the user's {@link StateMachine}, answers the
 * clients that submitted them, and serves reads once the state has caught up with their read index.
 * It runs beside the Raft server, so applying never delays elections or replication.
 */
public final class StateMachineRunner extends AbstractBehavior<StateMachineRunner.Command> {

  public interface Command extends NoSerializationVerificationNeeded {}

  /** Committed entries, contiguous, and the clients waiting for some of them (by index). */
  public record Apply(List<LogEntry> entries, Map<Long, ClientRequest> replies) implements Command {}

  /** Evaluate {@code query} once everything up to {@code readIndex} is applied. */
  public record Read(long readIndex, ClientRequest.ClientQuery request) implements Command {}

  /** Replace the state by the snapshot covering the log up to {@code index} (of {@code term}), read from its file. */
  public record Restore(long index, long term) implements Command {}

  private enum SnapshotDue implements Command {
    INSTANCE
  }

  private final StateMachine<Object, Object, Object> stateMachine;
  private final KryoCodec codec;
  private final SnapshotFiles files;
  private final RaftSettings settings;
  private final ActorRef<ServerCommand> server;
  private final TimerScheduler<Command> timers;
  private final PriorityQueue<Read> waitingReads =
      new PriorityQueue<>((a, b) -> Long.compare(a.readIndex(), b.readIndex()));
  private long lastApplied;
  private long lastAppliedTerm;
  private long appliedSinceSnapshot;
  /** Cleared when the state machine returns no snapshot: it does not support them. */
  private boolean snapshots;

  /**
   * @param server receives {@link Internal.SnapshotTaken} whenever a snapshot is due (settings
   *     {@code snapshot.every-entries} and {@code snapshot.every-time})
   */
  @SuppressWarnings("unchecked")
  static Behavior<Command> create(Supplier<? extends StateMachine<?, ?, ?>> factory, KryoCodec codec,
      SnapshotFiles files, RaftSettings settings, ActorRef<ServerCommand> server) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new StateMachineRunner(
        ctx, timers, (StateMachine<Object, Object, Object>) factory.get(), codec, files, settings, server)));
  }

  private StateMachineRunner(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      StateMachine<Object, Object, Object> sm, KryoCodec codec, SnapshotFiles files, RaftSettings settings,
      ActorRef<ServerCommand> server) {
    super(ctx);
    this.stateMachine = sm;
    this.codec = codec;
    this.files = files;
    this.settings = settings;
    this.server = server;
    this.timers = timers;
    this.snapshots = settings.snapshotsEnabled();
    scheduleTimedSnapshot();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Apply.class, this::onApply)
        .onMessage(Read.class, this::onRead)
        .onMessage(Restore.class, this::onRestore)
        .onMessageEquals(SnapshotDue.INSTANCE, this::onSnapshotDue)
        .build();
  }

  private Behavior<Command> onApply(Apply a) {
    ReplyBatch answers = new ReplyBatch();
    for (LogEntry e : a.entries()) {
      if (e.index() != lastApplied + 1) {
        throw new IllegalStateException("state machine would skip from " + lastApplied + " to " + e.index());
      }
      ClientReply reply = e.type() == LogEntry.Type.COMMAND ? applyCommand(e) : null;
      lastApplied = e.index();
      lastAppliedTerm = e.term();
      appliedSinceSnapshot++;
      ClientRequest request = a.replies().get(e.index());
      if (request != null) {
        answers.add(request, reply != null ? reply : new ClientReply.Rejected("entry " + e.index() + " is not a command"));
      }
    }
    answers.send();
    serveWaitingReads();
    if (settings.snapshotEveryEntries() > 0 && appliedSinceSnapshot >= settings.snapshotEveryEntries()) takeSnapshot();
    return this;
  }

  private void serveWaitingReads() {
    while (!waitingReads.isEmpty() && waitingReads.peek().readIndex() <= lastApplied) serve(waitingReads.poll());
  }

  // ---- snapshots ----

  private Behavior<Command> onSnapshotDue() {
    if (appliedSinceSnapshot > 0) takeSnapshot();
    else scheduleTimedSnapshot();
    return this;
  }

  private void scheduleTimedSnapshot() {
    if (snapshots && !settings.snapshotEveryTime().isZero()) {
      timers.startSingleTimer(SnapshotDue.INSTANCE, settings.snapshotEveryTime());
    }
  }

  /**
   * Snapshot the state as of lastApplied into its file (streamed, durable) and tell the server, which
   * records it in the journal and compacts the log.
   */
  private void takeSnapshot() {
    if (!snapshots || lastApplied == 0) return;
    Object snapshot;
    try {
      snapshot = stateMachine.snapshot();
    } catch (RuntimeException e) {
      getContext().getLog().error("The state machine failed to take a snapshot at index {}; the log is not compacted"
          + " this time", lastApplied, e);
      appliedSinceSnapshot = 0;
      scheduleTimedSnapshot();
      return;
    }
    if (snapshot == null) {
      getContext().getLog().info("{} returns no snapshots: the log of this group is never compacted",
          stateMachine.getClass().getName());
      snapshots = false;
      return;
    }
    // A class Kryo cannot serialize, or a disk that cannot take the file, stops the node.
    long bytes = files.write(lastApplied, lastAppliedTerm, snapshot, codec);
    server.tell(new Internal.SnapshotTaken(lastApplied, lastAppliedTerm, bytes));
    appliedSinceSnapshot = 0;
    scheduleTimedSnapshot();
  }

  private Behavior<Command> onRestore(Restore r) {
    if (r.index() <= lastApplied) {
      throw new IllegalStateException("restoring a snapshot at " + r.index() + " but " + lastApplied + " is applied");
    }
    stateMachine.restore(files.read(r.index(), r.term(), codec));
    lastApplied = r.index();
    lastAppliedTerm = r.term();
    appliedSinceSnapshot = 0;
    serveWaitingReads();
    return this;
  }

  private ClientReply applyCommand(LogEntry e) {
    Object command;
    try {
      command = codec.fromBytes(e.data());
    } catch (RuntimeException ex) {
      // The same bytes fail the same way on every node, so skipping them keeps the replicas identical.
      getContext().getLog().warn("Entry {} holds a command that cannot be read; skipped: {}", e.index(), ex.getMessage());
      return new ClientReply.Rejected("command cannot be deserialized: " + ex.getMessage());
    }
    try {
      return new ClientReply.Applied(stateMachine.apply(command), e.index());
    } catch (RuntimeException ex) {
      return new ClientReply.Rejected("state machine refused the command: " + ex);
    }
  }

  private Behavior<Command> onRead(Read r) {
    if (r.readIndex() <= lastApplied) serve(r);
    else waitingReads.add(r);
    return this;
  }

  private void serve(Read r) {
    try {
      Object query = codec.fromBytes(r.request().query());
      r.request().reply(new ClientReply.Applied(stateMachine.query(query), lastApplied));
    } catch (RuntimeException ex) {
      r.request().reply(new ClientReply.Rejected("query failed: " + ex));
    }
  }
}
