package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.Internal;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.RaftLogSnapshot;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable half of a Raft node: currentTerm, votedFor, the latest state machine snapshot and the log
 * after it, as events of a Pekko Persistence journal. It does one thing: store a batch of events and say
 * so. The server sends at most one batch at a time ({@link PersistQueue}), so this actor never stashes
 * more than one command while writing.
 *
 * <p>Compaction: after a {@link RaftEvent.SnapshotStored} event is written, the whole state is saved to
 * the snapshot store, and once that save is acknowledged the journal is cut up to it (and older snapshots
 * are deleted). Recovery starts from the latest saved state and replays the events after it. A crash at
 * any point in between loses nothing: until the save is acknowledged the journal still holds every event,
 * the snapshot data included.
 *
 * <p>On start it replays and hands the recovered state to the server. If the journal fails, this actor
 * stops (Pekko Persistence's rule for write failures) and the server, which watches it, stops too: a node
 * that cannot store must not answer as if it had.
 */
public final class RaftLog extends EventSourcedBehavior<RaftLog.Command, RaftEvent, RaftLog.State> {

  /** The log's protocol. */
  public interface Command extends NoSerializationVerificationNeeded {}

  /** Store these events as one atomic batch, then tell {@code replyTo} that batch {@code batchSeq} is durable. */
  public record Persist(long batchSeq, List<RaftEvent> events, ActorRef<ServerCommand> replyTo) implements Command {}

  /** The recovered state. Mutable: the event handler updates it in place, in order, and nothing else touches it. */
  public static final class State {
    long currentTerm;
    String votedFor;
    /** The log after the compacted prefix; its snapshotIndex() is the compaction point, not the snapshot's. */
    LogView log = new LogView();
    long snapshotIndex;
    long snapshotTerm;
    byte[] snapshotData = new byte[0];
  }

  private final ActorRef<ServerCommand> server;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final ActorContext<Command> ctx;
  /** Receives the journal's and the snapshot store's answers to the deletes that follow a snapshot. */
  private final org.apache.pekko.actor.ActorRef deleteReplies;

  public static Behavior<Command> create(
      String persistenceId, String journalPluginId, String snapshotPluginId, ActorRef<ServerCommand> server) {
    return Behaviors.setup(ctx ->
        new RaftLog(ctx, PersistenceId.ofUniqueId(persistenceId), journalPluginId, snapshotPluginId, server));
  }

  private RaftLog(ActorContext<Command> ctx, PersistenceId id, String journalPluginId, String snapshotPluginId,
      ActorRef<ServerCommand> server) {
    super(id);
    this.ctx = ctx;
    this.server = server;
    this.journalPluginId = journalPluginId;
    this.snapshotPluginId = snapshotPluginId;
    this.deleteReplies = Adapter.toClassic(ctx.spawn(deleteReplyLogger(id.id()), "compaction"));
  }

  @Override
  public String journalPluginId() {
    return journalPluginId;
  }

  @Override
  public String snapshotPluginId() {
    return snapshotPluginId;
  }

  @Override
  public State emptyState() {
    return new State();
  }

  @Override
  public CommandHandler<Command, RaftEvent, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Persist.class, (state, p) ->
            Effect().persist(p.events()).thenRun(s -> p.replyTo().tell(new Internal.Persisted(p.batchSeq()))))
        .build();
  }

  @Override
  public EventHandler<State, RaftEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(RaftEvent.TermAdvanced.class, (s, e) -> {
          if (e.term() < s.currentTerm) {
            throw new IllegalStateException("journal holds a term going down: " + s.currentTerm + " then " + e.term());
          }
          s.currentTerm = e.term();
          s.votedFor = null;
          return s;
        })
        .onEvent(RaftEvent.VoteCast.class, (s, e) -> {
          if (e.term() != s.currentTerm || (s.votedFor != null && !s.votedFor.equals(e.candidateId()))) {
            throw new IllegalStateException("journal holds a second vote in term " + e.term());
          }
          s.votedFor = e.candidateId();
          return s;
        })
        .onEvent(RaftEvent.EntriesAppended.class, (s, e) -> {
          s.log.appendAll(e.entries());
          return s;
        })
        .onEvent(RaftEvent.EntriesTruncated.class, (s, e) -> {
          if (e.fromIndex() <= s.log.lastIndex()) s.log.truncateFrom(e.fromIndex());
          return s;
        })
        .onEvent(RaftEvent.SnapshotStored.class, (s, e) -> {
          if (e.compactTo() > s.log.snapshotIndex()) s.log.compactTo(e.compactTo(), e.compactToTerm());
          s.snapshotIndex = e.index();
          s.snapshotTerm = e.term();
          s.snapshotData = e.data();
          return s;
        })
        .build();
  }

  /** Save the whole state right after each new snapshot of the state machine, so the journal can be cut. */
  @Override
  public boolean shouldSnapshot(State state, RaftEvent event, long sequenceNr) {
    return event instanceof RaftEvent.SnapshotStored;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State s) {
        LogView log = s.log;
        return new RaftLogSnapshot(s.currentTerm, s.votedFor, s.snapshotIndex, s.snapshotTerm, s.snapshotData,
            log.snapshotIndex(), log.snapshotTerm(), log.range(log.firstIndex(), log.lastIndex()));
      }

      @Override
      public State fromJournal(Object from) {
        RaftLogSnapshot snap = (RaftLogSnapshot) from;
        State s = new State();
        s.currentTerm = snap.currentTerm();
        s.votedFor = snap.votedFor();
        s.log = new LogView(snap.compactedIndex(), snap.compactedTerm(), snap.entries());
        s.snapshotIndex = snap.snapshotIndex();
        s.snapshotTerm = snap.snapshotTerm();
        s.snapshotData = snap.snapshotData();
        return s;
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          LogView log = s.log;
          server.tell(new Internal.Recovered(s.currentTerm, s.votedFor, s.snapshotIndex, s.snapshotTerm,
              s.snapshotData, log.snapshotIndex(), log.snapshotTerm(), log.range(log.firstIndex(), log.lastIndex())));
        })
        .onSignal(SnapshotCompleted.class, (s, done) -> compactUpTo(done.metadata().sequenceNr()))
        .onSignal(SnapshotFailed.class, (s, failed) -> ctx.getLog().warn(
            "Saving the state of {} to snapshot store {} failed; the journal is not compacted this time: {}",
            persistenceId().id(), snapshotPluginId, failed.getFailure().toString()))
        .build();
  }

  /** The state as of {@code sequenceNr} is saved: delete the events it covers and the older saved states. */
  private void compactUpTo(long sequenceNr) {
    Persistence persistence = Persistence.get(Adapter.toClassic(ctx.getSystem()));
    String pid = persistenceId().id();
    persistence.journalFor(journalPluginId, com.typesafe.config.ConfigFactory.empty())
        .tell(new JournalProtocol.DeleteMessagesTo(pid, sequenceNr, deleteReplies), deleteReplies);
    persistence.snapshotStoreFor(snapshotPluginId, com.typesafe.config.ConfigFactory.empty())
        .tell(new SnapshotProtocol.DeleteSnapshots(pid, SnapshotSelectionCriteria.create(sequenceNr - 1, Long.MAX_VALUE)),
            deleteReplies);
  }

  private static Behavior<Object> deleteReplyLogger(String persistenceId) {
    return Behaviors.receive((context, reply) -> {
      if (reply instanceof DeleteMessagesFailure f) {
        context.getLog().warn("Compacting the journal of {} up to {} failed (it keeps the events): {}",
            persistenceId, f.toSequenceNr(), f.cause().toString());
      } else if (reply instanceof DeleteSnapshotsFailure f) {
        context.getLog().warn("Deleting old snapshots of {} failed (they stay on disk): {}", persistenceId,
            f.cause().toString());
      } else {
        context.getLog().debug("Compaction of {}: {}", persistenceId, reply);
      }
      return Behaviors.same();
    });
  }
}
