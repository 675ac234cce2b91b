package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.ServerStatus;
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
 *
 * <p>Commands in a client session are applied at most once per (session, sequence): the {@link SessionTable}
 * answers a retry with the first answer, and a command of a session no longer open with SessionExpired. The
 * table changes only by applying entries, with their log time, so every replica holds the same one; it is
 * written into each snapshot and restored with it.
 *
 * <p>A committed command is never skipped: one that cannot be deserialized, or an Error from the state
 * machine, stops this actor, and the server, which watches it, stops too.
 *
 * <p>Each command applied (or refused) goes into the {@link AppliedHistory} with its result, for watches: one
 * record per command, and one wake-up of the watches per batch.
 */
final class StateMachineRunner extends AbstractBehavior<StateMachineRunner.Command> {

  public interface Command extends NoSerializationVerificationNeeded {}

  /** Committed entries, contiguous, and the clients waiting for some of them (by index). */
  public record Apply(List<LogEntry> entries, Map<Long, ClientRequest> replies) implements Command {}

  /**
   * Evaluate {@code query} once everything up to {@code readIndex} is applied. A bounded STALE read
   * ({@code readIndex} 0) is refused {@code TooStale} when what is applied is further behind than the
   * bound: {@code commitIndex} is the commit index the server knew when it sent the read.
   */
  public record Read(long readIndex, long commitIndex, ClientRequest.ClientQuery request) implements Command {
    public Read(long readIndex, ClientRequest.ClientQuery request) {
      this(readIndex, 0, request);
    }
  }

  /** Replace the state by the snapshot covering the log up to {@code index} (of {@code term}), read from its file. */
  public record Restore(long index, long term) implements Command {}

  /** Answer {@code status} with this runner's applied index filled in. */
  public record ReportStatus(ServerStatus status, ActorRef<ServerStatus> replyTo) implements Command {}

  private enum SnapshotDue implements Command {
    INSTANCE
  }

  private final String groupId;
  private final StateMachine<Object, Object, Object> stateMachine;
  private final KryoCodec codec;
  private final SnapshotFiles files;
  private final RaftSettings settings;
  private final ActorRef<ServerCommand> server;
  private final TimerScheduler<Command> timers;
  private final PriorityQueue<Read> waitingReads =
      new PriorityQueue<>((a, b) -> Long.compare(a.readIndex(), b.readIndex()));
  private final SessionTable sessions = new SessionTable();
  private final AppliedHistory history;
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
  static Behavior<Command> create(String groupId, Supplier<? extends StateMachine<?, ?, ?>> factory,
      KryoCodec codec, SnapshotFiles files, RaftSettings settings, ActorRef<ServerCommand> server,
      AppliedHistory history) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new StateMachineRunner(
        ctx, timers, groupId, (StateMachine<Object, Object, Object>) factory.get(), codec, files, settings, server,
        history)));
  }

  private StateMachineRunner(ActorContext<Command> ctx, TimerScheduler<Command> timers, String groupId,
      StateMachine<Object, Object, Object> sm, KryoCodec codec, SnapshotFiles files, RaftSettings settings,
      ActorRef<ServerCommand> server, AppliedHistory history) {
    super(ctx);
    this.history = history;
    this.groupId = groupId;
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
        .onMessage(ReportStatus.class, r -> {
          ServerStatus s = r.status();
          r.replyTo().tell(new ServerStatus(s.memberId(), s.role(), s.term(), s.leaderId(), s.commitIndex(), lastApplied));
          return this;
        })
        .onMessageEquals(SnapshotDue.INSTANCE, this::onSnapshotDue)
        .build();
  }

  private Behavior<Command> onApply(Apply a) {
    ReplyBatch answers = new ReplyBatch();
    List<LogEntry> entries = a.entries();
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      if (e.index() != lastApplied + 1) {
        throw new IllegalStateException("state machine would skip from " + lastApplied + " to " + e.index());
      }
      ClientReply reply;
      try {
        reply = applyEntry(e);
      } catch (RuntimeException | Error stop) {
        // This node stops here. What it applied is answered; the rest is committed and will be applied by
        // the other replicas, or by this one after a restart: unknown outcome, as far as this node can say.
        answers.send();
        history.published();
        ClientReply unknown = new ClientReply.Timeout(where() + " stopped at index " + e.index()
            + " before applying this command; outcome unknown");
        for (LogEntry rest : entries.subList(i, entries.size())) {
          ClientRequest request = a.replies().get(rest.index());
          if (request != null) request.reply(unknown);
        }
        throw stop;
      }
      lastApplied = e.index();
      lastAppliedTerm = e.term();
      appliedSinceSnapshot++;
      ClientRequest request = a.replies().get(e.index());
      if (request != null) {
        answers.add(request, reply != null ? reply : new ClientReply.Rejected("entry " + e.index() + " is not a command"));
      }
    }
    answers.send();
    history.published();
    serveWaitingReads();
    if (settings.snapshotEveryEntries() > 0 && appliedSinceSnapshot >= settings.snapshotEveryEntries()) takeSnapshot();
    return this;
  }

  /** Applies one committed entry: its answer, or null for an entry that is not a client's. */
  private ClientReply applyEntry(LogEntry e) {
    sessions.advance(e.time());
    switch (e.type()) {
      case COMMAND:
        return applyCommand(e, null, 0, 0);
      case SESSION_COMMAND: {
        SessionEntries.SessionCommand c = sessionPayload(e, SessionEntries::command);
        ClientReply answer = sessions.beforeApply(c);
        if (answer != null) return answer; // answered before, or the session is gone: never applied twice
        answer = applyCommand(e, c.command(), c.sessionId(), c.sequence());
        sessions.applied(c, answer);
        return answer;
      }
      case SESSION_OPEN:
        sessions.open(e.index(), sessionPayload(e, SessionEntries::limits));
        return new ClientReply.Applied(e.index(), e.index());
      case SESSION_KEEP_ALIVE: {
        long id = sessionPayload(e, SessionEntries::keptAlive);
        return sessions.keepAlive(id) ? new ClientReply.Applied(id, e.index())
            : new ClientReply.SessionExpired(id, "session " + id + " expired or is unknown");
      }
      default:
        return null;
    }
  }

  /** The payload of a session entry, read once; a committed one that does not read stops the node. */
  private <T> T sessionPayload(LogEntry e, java.util.function.Function<LogEntry, T> read) {
    try {
      return read.apply(e);
    } catch (com.esotericsoftware.kryo.KryoException | IllegalArgumentException malformed) {
      throw new IllegalStateException(where() + " cannot read the committed " + e.type() + " entry at index "
          + e.index() + " (" + malformed + "); stopping rather than skipping it", malformed);
    }
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
    long bytes = files.write(lastApplied, lastAppliedTerm, snapshot, sessions, codec);
    stateMachine.snapshotStored(files.stored(lastApplied, lastAppliedTerm, codec));
    server.tell(new Internal.SnapshotTaken(lastApplied, lastAppliedTerm, bytes));
    appliedSinceSnapshot = 0;
    scheduleTimedSnapshot();
  }

  private Behavior<Command> onRestore(Restore r) {
    if (r.index() <= lastApplied) {
      throw new IllegalStateException("restoring a snapshot at " + r.index() + " but " + lastApplied + " is applied");
    }
    stateMachine.restore(files.read(r.index(), r.term(), sessions, codec), files.stored(r.index(), r.term(), codec));
    history.restored(r.index());
    lastApplied = r.index();
    lastAppliedTerm = r.term();
    appliedSinceSnapshot = 0;
    serveWaitingReads();
    return this;
  }

  /**
   * One committed command, applied with its {@link AppliedEntry} (index, term, log time; never this node's
   * clock): its result ({@code Applied}), or {@code CommandFailed} when the state machine
   * refuses it with a RuntimeException (every replica refuses it alike, and leaves its state unchanged).
   * Throws, which stops this node, when the command cannot be read (skipping it would let replicas that
   * read it diverge from this one) or when the state machine throws an Error (its state may be half
   * changed). A committed command is never skipped. Either answer goes into the applied history.
   *
   * @param inSession the command's bytes within a session entry (read in place), or null: the entry's data
   */
  private ClientReply applyCommand(LogEntry entry, java.nio.ByteBuffer inSession, long sessionId, long sequence) {
    long index = entry.index();
    Object command;
    try {
      command = inSession == null ? codec.fromBytes(entry.data()) : codec.fromBuffer(inSession);
    } catch (RuntimeException ex) {
      throw new IllegalStateException(where() + " cannot deserialize the committed command at index " + index
          + " (" + ex + "); stopping rather than skipping it: every member must run the same KryoRegistrars and"
          + " command classes, or their states diverge", ex);
    }
    Object result = null;
    String failure = null;
    try {
      // the entry as every replica sees it: its index, its term, the log time its leader stamped
      result = stateMachine.apply(command, new AppliedEntry(index, entry.term(), entry.time()));
    } catch (RuntimeException ex) {
      getContext().getLog().debug("{}: the state machine refused the command at index {}: {}", where(), index,
          ex.toString());
      failure = ex.toString();
    } catch (VirtualMachineError fatal) {
      throw fatal; // out of memory and the like: Pekko's fatal error handling takes the whole node down
    } catch (Error err) {
      throw new IllegalStateException(where() + ": the state machine threw " + err + " applying the committed "
          + command.getClass().getName() + " at index " + index + "; its state may be half changed, so this node"
          + " stops", err);
    }
    history.record(new AppliedCommand<>(index, entry.term(), entry.time(), command, result, failure, sessionId, sequence));
    return failure == null ? new ClientReply.Applied(result, index) : new ClientReply.CommandFailed(failure, index);
  }

  private String where() {
    return "member " + settings.selfId() + " of group " + groupId;
  }

  private Behavior<Command> onRead(Read r) {
    if (r.request().bounded() && tooStale(r)) return this;
    if (r.readIndex() <= lastApplied) serve(r);
    else waitingReads.add(r);
    return this;
  }

  /** A bounded STALE read this node is too far behind for is refused, with how far behind it is. */
  private boolean tooStale(Read r) {
    ClientRequest.ClientQuery q = r.request();
    long required = q.minIndex();
    String why = "has not applied index " + q.minIndex() + " yet";
    if (q.maxLagEntries() != io.pekkoraft.consensus.ReadOptions.UNBOUNDED && r.commitIndex() - q.maxLagEntries() > required) {
      required = r.commitIndex() - q.maxLagEntries();
      why = "knows of " + (r.commitIndex() - lastApplied) + " committed entries it has not applied (commit index "
          + r.commitIndex() + "), more than the " + q.maxLagEntries() + " the read allows";
    }
    if (lastApplied >= required) return false;
    q.reply(new ClientReply.TooStale(settings.selfId(), lastApplied, required - lastApplied,
        where() + " has applied up to " + lastApplied + " and " + why));
    return true;
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
