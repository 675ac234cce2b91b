package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.Internal;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable half of a Raft node: currentTerm, votedFor and the log, as events of a Pekko Persistence
 * journal. It does one thing: store a batch of events and say so. The server sends at most one batch at
 * a time ({@link PersistQueue}), so this actor never stashes more than one command while writing.
 *
 * <p>On start it replays the journal and hands the recovered state to the server. If the journal fails,
 * this actor stops (Pekko Persistence's rule for write failures) and the server, which watches it, stops
 * too: a node that cannot store must not answer as if it had.
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
    final ArrayList<LogEntry> entries = new ArrayList<>();
  }

  private final ActorRef<ServerCommand> server;
  private final String journalPluginId;

  public static Behavior<Command> create(String persistenceId, String journalPluginId, ActorRef<ServerCommand> server) {
    return new RaftLog(PersistenceId.ofUniqueId(persistenceId), journalPluginId, server);
  }

  private RaftLog(PersistenceId id, String journalPluginId, ActorRef<ServerCommand> server) {
    super(id);
    this.server = server;
    this.journalPluginId = journalPluginId;
  }

  @Override
  public String journalPluginId() {
    return journalPluginId;
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
          s.entries.addAll(e.entries());
          return s;
        })
        .onEvent(RaftEvent.EntriesTruncated.class, (s, e) -> {
          int keep = (int) (e.fromIndex() - 1);
          s.entries.subList(Math.min(keep, s.entries.size()), s.entries.size()).clear();
          return s;
        })
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s ->
            server.tell(new Internal.Recovered(s.currentTerm, s.votedFor, List.copyOf(s.entries))))
        .build();
  }
}
