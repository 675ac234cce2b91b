package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.RaftLogSnapshot;
import java.util.ArrayList;
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
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable half of a Raft node: currentTerm, votedFor, the latest state machine snapshot (where it is)
 * and the log after it, as events of a Pekko Persistence journal. It stores a batch of events and says
 * so; it reads entries back from the journal for whoever needs entries that are no longer in memory.
 * The server sends at most one batch at a time ({@link PersistQueue}), so this actor never stashes more
 * than one write.
 *
 * <p>Memory: the entries themselves are not kept here. During recovery a tail of them (at most
 * {@code log.memory-bytes-max}) is collected for the server; afterwards only positions are: each
 * index's term ({@link LogView}) and where its entry is in the journal ({@link JournalPositions}).
 *
 * <p>Reading back ({@link Read}): a reader replays this log's own events from the journal, from the
 * sequence number of the latest mark at or before the first index wanted, applying appends and
 * truncations as recovery would, until it has enough; any entry a later event truncated is left out.
 * Replay is part of every Pekko Persistence journal's contract, so this works on any journal plugin.
 *
 * <p>Compaction: after a {@link RaftEvent.SnapshotStored} event is written, this actor saves its state
 * (a {@link RaftLogSnapshot}: term, vote, snapshot position, compaction point; no entries and no
 * snapshot data) to the snapshot store, standing at the event before the first one that still holds an
 * entry after the compaction point; once that save is acknowledged, the journal is cut up to there and
 * older saved states are deleted. Recovery loads the latest saved state and replays the events after it:
 * those up to the point the state was taken only for their entries, the later ones whole. A crash at any
 * point in between loses nothing: until the save is acknowledged the journal still holds every event.
 *
 * <p>On start it replays and hands the recovered state to the server. If the journal fails, this actor
 * stops (Pekko Persistence's rule for write failures) and the server, which watches it, stops too: a node
 * that cannot store must not answer as if it had.
 */
final class RaftLog extends EventSourcedBehavior<RaftLog.Command, RaftEvent, RaftLog.State> {

  /** The log's protocol. */
  public interface Command extends NoSerializationVerificationNeeded {}

  /** Store these events as one atomic batch, then tell {@code replyTo} that batch {@code batchSeq} is durable. */
  public record Persist(long batchSeq, List<RaftEvent> events, ActorRef<ServerCommand> replyTo) implements Command {}

  /**
   * Read entries from {@code fromIndex} on from the journal: up to {@code maxEntries}, stopping before
   * {@code maxBytes} is exceeded (at least one entry when there is any). Only durable entries are read.
   */
  public record Read(long fromIndex, int maxEntries, long maxBytes, ActorRef<ReadResult> replyTo) implements Command {}

  /**
   * Entries from {@code fromIndex} on, contiguous, after the entry at fromIndex - 1 of term
   * {@code prevTerm}; empty when none could be read (compacted meanwhile, or not durable yet).
   */
  public record ReadResult(long fromIndex, long prevTerm, List<LogEntry> entries)
      implements NoSerializationVerificationNeeded {}

  /** A reader replayed the journal up to {@code lastSeq} and collected {@code entries} for {@code read}. */
  private record ReadDone(Read read, long lastSeq, List<LogEntry> entries) implements Command {}

  /** The recovered state. Mutable: the event handler updates it in place, in order, and nothing else touches it. */
  public static final class State {
    long currentTerm;
    String votedFor;
    /** This disk's replica id ({@link RaftEvent.ReplicaIdCreated}); 0 until the server creates it. */
    long replicaId;
    /** Positions and terms of the log after the compacted prefix; its snapshotIndex() is the compaction point. */
    LogView log;
    JournalPositions positions = new JournalPositions();
    long snapshotIndex;
    long snapshotTerm;
    long snapshotBytes;
    /** The configuration the snapshot carries, from the entry at configurationIndex (null: the bootstrap one). */
    long configurationIndex;
    Configuration configuration;
    /**
     * The configuration entries of the log after the snapshot's index (a few: one per membership change
     * since the snapshot); kept during recovery only, for the server.
     */
    java.util.TreeMap<Long, Configuration> configurationEntries = new java.util.TreeMap<>();
    /** Sequence number of the last event applied. */
    long seq;
    /** Events up to here are already reflected in term, vote and snapshot (a saved state): only their entries count. */
    long stateAsOf;

    State(LogView log) {
      this.log = log;
    }
  }

  /** Events replayed per request to the journal while reading entries back. */
  private static final int READ_EVENTS_PER_REPLAY = 512;
  /** A read whose journal stays silent this long ends empty; its reader tries again. */
  private static final java.time.Duration READ_TIMEOUT = java.time.Duration.ofSeconds(30);

  private enum ReadTimedOut {
    INSTANCE
  }

  private final ActorRef<ServerCommand> server;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final long memoryBytesMax;
  private final ActorContext<Command> ctx;
  /** Receives the snapshot store's and the journal's answers to a state save and the deletes that follow it. */
  private final org.apache.pekko.actor.ActorRef compaction;
  private long lastSaveTimestamp;

  public static Behavior<Command> create(String persistenceId, String journalPluginId, String snapshotPluginId,
      long memoryBytesMax, ActorRef<ServerCommand> server) {
    return Behaviors.setup(ctx -> new RaftLog(ctx, PersistenceId.ofUniqueId(persistenceId), journalPluginId,
        snapshotPluginId, memoryBytesMax, server));
  }

  private RaftLog(ActorContext<Command> ctx, PersistenceId id, String journalPluginId, String snapshotPluginId,
      long memoryBytesMax, ActorRef<ServerCommand> server) {
    super(id);
    this.ctx = ctx;
    this.server = server;
    this.journalPluginId = journalPluginId;
    this.snapshotPluginId = snapshotPluginId;
    this.memoryBytesMax = memoryBytesMax;
    this.compaction = Adapter.toClassic(ctx.spawn(compaction(id.id()), "compaction"));
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
    return new State(new LogView(0, 0, memoryBytesMax));
  }

  @Override
  public CommandHandler<Command, RaftEvent, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Persist.class, (state, p) -> Effect().persist(p.events()).thenRun(s -> {
          p.replyTo().tell(new Internal.Persisted(p.batchSeq()));
          if (p.events().stream().anyMatch(e -> e instanceof RaftEvent.SnapshotStored)) saveState(s);
        }))
        .onCommand(Read.class, (state, r) -> {
          startRead(state, r);
          return Effect().none();
        })
        .onCommand(ReadDone.class, (state, d) -> {
          d.read().replyTo().tell(finishRead(state, d));
          return Effect().none();
        })
        .build();
  }

  @Override
  public EventHandler<State, RaftEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(RaftEvent.TermAdvanced.class, (s, e) -> {
          if (++s.seq <= s.stateAsOf) return s;
          if (e.term() < s.currentTerm) {
            throw new IllegalStateException("journal holds a term going down: " + s.currentTerm + " then " + e.term());
          }
          s.currentTerm = e.term();
          s.votedFor = null;
          return s;
        })
        .onEvent(RaftEvent.VoteCast.class, (s, e) -> {
          if (++s.seq <= s.stateAsOf) return s;
          if (e.term() != s.currentTerm || (s.votedFor != null && !s.votedFor.equals(e.candidateId()))) {
            throw new IllegalStateException("journal holds a second vote in term " + e.term());
          }
          s.votedFor = e.candidateId();
          return s;
        })
        .onEvent(RaftEvent.ReplicaIdCreated.class, (s, e) -> {
          if (++s.seq <= s.stateAsOf) return s;
          if (e.replicaId() == 0 || (s.replicaId != 0 && s.replicaId != e.replicaId())) {
            throw new IllegalStateException("journal holds replica id " + e.replicaId() + " after replica id "
                + s.replicaId + ": a disk has one replica id, never 0");
          }
          s.replicaId = e.replicaId();
          return s;
        })
        .onEvent(RaftEvent.EntriesAppended.class, (s, e) -> {
          long seq = ++s.seq;
          List<LogEntry> entries = e.entries();
          if (entries.isEmpty()) return s;
          long bytes = 0;
          for (LogEntry entry : entries) bytes += entry.sizeBytes();
          s.positions.onAppend(seq, entries.get(0).index(), bytes);
          for (LogEntry entry : entries) {
            // Before a saved state's compaction point: covered by its snapshot (only the first events
            // replayed after a saved state can hold such entries).
            if (entry.index() > s.log.snapshotIndex() || seq > s.stateAsOf) {
              s.log.append(entry);
              if (entry.type() == LogEntry.Type.CONFIGURATION && entry.index() > s.snapshotIndex) {
                s.configurationEntries.tailMap(entry.index(), true).clear();
                s.configurationEntries.put(entry.index(), decode(entry));
              }
            }
          }
          s.log.markDurable(s.log.lastIndex());
          return s;
        })
        .onEvent(RaftEvent.EntriesTruncated.class, (s, e) -> {
          long seq = ++s.seq;
          s.positions.onTruncate(seq, e.fromIndex());
          if (e.fromIndex() > s.log.snapshotIndex() || seq > s.stateAsOf) {
            if (e.fromIndex() <= s.log.lastIndex()) s.log.truncateFrom(e.fromIndex());
          }
          s.configurationEntries.tailMap(e.fromIndex(), true).clear();
          return s;
        })
        .onEvent(RaftEvent.SnapshotStored.class, (s, e) -> {
          long seq = ++s.seq;
          if (seq <= s.stateAsOf) {
            s.positions.onCompact(seq, e.compactTo(), false);
            return s;
          }
          boolean keepsEntries = e.compactTo() <= s.log.lastIndex() && s.log.termAt(e.compactTo()) == e.compactToTerm();
          if (e.compactTo() > s.log.snapshotIndex()) s.log.compactTo(e.compactTo(), e.compactToTerm());
          s.positions.onCompact(seq, e.compactTo(), !keepsEntries);
          s.snapshotIndex = e.index();
          s.snapshotTerm = e.term();
          s.snapshotBytes = e.bytes();
          s.configurationIndex = e.configurationIndex();
          s.configuration = e.configurationIndex() == 0 ? null : decodeSnapshotConfiguration(e.configuration(), e.index());
          s.configurationEntries.headMap(e.index(), true).clear();
          s.configurationEntries.tailMap(s.log.lastIndex(), false).clear(); // the log went whole (an installed snapshot)
          return s;
        })
        .build();
  }

  /** Nothing is snapshotted through Pekko's own trigger: {@link #saveState} chooses where the saved state stands. */
  @Override
  public boolean shouldSnapshot(State state, RaftEvent event, long sequenceNr) {
    return false;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State s) {
        throw new IllegalStateException("the Raft log's state is saved by RaftLog.saveState only");
      }

      @Override
      public State fromJournal(Object from) {
        RaftLogSnapshot snap = (RaftLogSnapshot) from;
        State s = new State(new LogView(snap.compactedIndex(), snap.compactedTerm(), memoryBytesMax));
        s.currentTerm = snap.currentTerm();
        s.votedFor = snap.votedFor();
        s.replicaId = snap.replicaId();
        s.snapshotIndex = snap.snapshotIndex();
        s.snapshotTerm = snap.snapshotTerm();
        s.snapshotBytes = snap.snapshotBytes();
        s.configurationIndex = snap.configurationIndex();
        s.configuration = snap.configurationIndex() == 0 ? null
            : decodeSnapshotConfiguration(snap.configuration(), snap.snapshotIndex());
        s.seq = snap.replayFrom();
        s.stateAsOf = snap.stateAsOf();
        return s;
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          long journalSeq = lastSequenceNumber(ctx);
          if (s.seq != journalSeq) {
            throw new IllegalStateException(persistenceId().id() + ": replay counted events up to " + s.seq
                + " but the journal's sequence number is " + journalSeq + " (events missing from the journal?)");
          }
          server.tell(new Internal.Recovered(s.currentTerm, s.votedFor, s.snapshotIndex, s.snapshotTerm,
              s.snapshotBytes, s.log.copy(memoryBytesMax), s.configurationIndex, s.configuration,
              java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(s.configurationEntries)), s.replicaId));
          s.log = s.log.copy(0); // from now on entries are read back from the journal, never kept here
          s.configurationEntries = new java.util.TreeMap<>(); // the server keeps them from now on
        })
        .build();
  }

  private IllegalStateException unreadable(String what, IllegalArgumentException cause) {
    return new IllegalStateException(persistenceId().id() + ": " + what + " cannot be read: " + cause.getMessage(), cause);
  }

  private Configuration decode(LogEntry entry) {
    try {
      return ConfigurationCodec.decode(entry.data());
    } catch (IllegalArgumentException e) {
      throw unreadable("the configuration entry at " + entry.index() + "@" + entry.term(), e);
    }
  }

  private Configuration decodeSnapshotConfiguration(byte[] bytes, long snapshotIndex) {
    try {
      return ConfigurationCodec.decode(bytes);
    } catch (IllegalArgumentException e) {
      throw unreadable("the configuration of the snapshot up to " + snapshotIndex, e);
    }
  }

  // ---- compaction ----

  /**
   * A snapshot event is durable: save the state so that the journal can be cut. The saved state stands at
   * the event before the first that may hold an entry after the compaction point, so replay from there
   * brings back every entry the log still has.
   */
  private void saveState(State s) {
    long compactedIndex = s.log.snapshotIndex();
    long replayFrom;
    if (s.log.lastIndex() > compactedIndex) {
      long first = s.positions.replayFrom(compactedIndex + 1);
      if (first < 1) {
        throw new IllegalStateException(persistenceId().id() + ": no journal position known for index "
            + (compactedIndex + 1) + " (log up to " + s.log.lastIndex() + ")");
      }
      replayFrom = first - 1;
    } else {
      replayFrom = s.seq;
    }
    RaftLogSnapshot state = new RaftLogSnapshot(s.currentTerm, s.votedFor, s.snapshotIndex, s.snapshotTerm,
        s.snapshotBytes, compactedIndex, s.log.snapshotTerm(), replayFrom, s.seq, s.configurationIndex,
        s.configuration == null ? new byte[0] : ConfigurationCodec.encode(s.configuration), s.replicaId);
    lastSaveTimestamp = Math.max(lastSaveTimestamp + 1, System.currentTimeMillis());
    SnapshotMetadata metadata = SnapshotMetadata.apply(persistenceId().id(), replayFrom, lastSaveTimestamp);
    snapshotStore().tell(new SnapshotProtocol.SaveSnapshot(metadata, state), compaction);
  }

  private org.apache.pekko.actor.ActorRef journal() {
    return Persistence.get(Adapter.toClassic(ctx.getSystem())).journalFor(journalPluginId,
        com.typesafe.config.ConfigFactory.empty());
  }

  private org.apache.pekko.actor.ActorRef snapshotStore() {
    return Persistence.get(Adapter.toClassic(ctx.getSystem())).snapshotStoreFor(snapshotPluginId,
        com.typesafe.config.ConfigFactory.empty());
  }

  /** Answers to a state save: once saved, cut the journal up to it and delete the older saved states. */
  private Behavior<Object> compaction(String persistenceId) {
    return Behaviors.receive((context, reply) -> {
      if (reply instanceof SaveSnapshotSuccess ok) {
        SnapshotMetadata m = ok.metadata();
        org.apache.pekko.actor.ActorRef self = Adapter.toClassic(context.getSelf());
        journal().tell(new JournalProtocol.DeleteMessagesTo(persistenceId, m.sequenceNr(), self), self);
        snapshotStore().tell(new SnapshotProtocol.DeleteSnapshots(persistenceId,
            SnapshotSelectionCriteria.create(m.sequenceNr(), m.timestamp() - 1)), self);
      } else if (reply instanceof SaveSnapshotFailure f) {
        context.getLog().warn("Saving the state of {} to snapshot store {} failed; the journal is not compacted"
            + " this time: {}", persistenceId, snapshotPluginId, f.cause().toString());
      } else if (reply instanceof DeleteMessagesFailure f) {
        context.getLog().warn("Compacting the journal of {} up to {} failed (it keeps the events): {}",
            persistenceId, f.toSequenceNr(), f.cause().toString());
      } else if (reply instanceof DeleteSnapshotsFailure f) {
        context.getLog().warn("Deleting old saved states of {} failed (they stay on disk): {}", persistenceId,
            f.cause().toString());
      } else {
        context.getLog().debug("Compaction of {}: {}", persistenceId, reply);
      }
      return Behaviors.same();
    });
  }

  // ---- reading entries back ----

  private void startRead(State s, Read r) {
    long from = r.fromIndex();
    long start = from >= s.log.firstIndex() && from <= s.log.lastIndex() ? s.positions.replayFrom(from) : -1;
    if (start < 1) {
      r.replyTo().tell(new ReadResult(from, s.log.termAt(from - 1), List.of()));
      return;
    }
    ctx.spawnAnonymous(reader(persistenceId().id(), journal(), r, start, ctx.getSelf()));
  }

  /** Keeps what no event after the reader's last one truncated, from the first index wanted on. */
  private ReadResult finishRead(State s, ReadDone d) {
    long from = d.read().fromIndex();
    long cut = s.positions.truncatedAfter(d.lastSeq());
    List<LogEntry> kept = new ArrayList<>();
    for (LogEntry e : d.entries()) {
      // Beyond a later truncation, or (defensively) not the entry the log holds now at that index.
      if (e.index() >= cut || e.index() > s.log.lastIndex() || e.term() != s.log.termAt(e.index())) break;
      kept.add(e);
    }
    if (from < s.log.firstIndex() || kept.isEmpty() || kept.get(0).index() != from) {
      return new ReadResult(from, s.log.termAt(from - 1), List.of());
    }
    return new ReadResult(from, s.log.termAt(from - 1), List.copyOf(kept));
  }

  /**
   * Replays the journal from {@code startSeq} in rounds of {@link #READ_EVENTS_PER_REPLAY} events,
   * collecting the entries of {@code read} as appends and truncations leave them, until it has enough or
   * the journal ends; then hands them to the log and stops.
   */
  private static Behavior<Object> reader(String persistenceId, org.apache.pekko.actor.ActorRef journal, Read read,
      long startSeq, ActorRef<Command> log) {
    return Behaviors.setup(context -> {
      org.apache.pekko.actor.ActorRef self = Adapter.toClassic(context.getSelf());
      ArrayList<LogEntry> collected = new ArrayList<>();
      long[] lastSeq = {startSeq - 1};
      long[] bytes = {0};
      int[] replayedThisRound = {0};
      // Enough was collected, or the first index wanted is not there: the rounds end after this one.
      boolean[] done = {false};
      context.setReceiveTimeout(READ_TIMEOUT, ReadTimedOut.INSTANCE);
      Runnable nextRound = () -> {
        replayedThisRound[0] = 0;
        journal.tell(new JournalProtocol.ReplayMessages(lastSeq[0] + 1, Long.MAX_VALUE, READ_EVENTS_PER_REPLAY,
            persistenceId, self), self);
      };
      nextRound.run();
      return Behaviors.receive((c, msg) -> {
        if (msg instanceof JournalProtocol.ReplayedMessage m) {
          lastSeq[0] = m.persistent().sequenceNr();
          replayedThisRound[0]++;
          Object event = m.persistent().payload();
          if (event instanceof RaftEvent.EntriesAppended a) {
            for (LogEntry e : a.entries()) {
              if (e.index() < read.fromIndex()) continue;
              if (!collected.isEmpty() && e.index() <= collected.get(collected.size() - 1).index()) {
                bytes[0] -= dropFrom(collected, e.index());
              }
              boolean full = collected.size() >= read.maxEntries()
                  || (!collected.isEmpty() && bytes[0] + e.sizeBytes() > read.maxBytes());
              boolean contiguous = collected.isEmpty() ? e.index() == read.fromIndex()
                  : e.index() == collected.get(collected.size() - 1).index() + 1;
              if (full || (collected.isEmpty() && e.index() > read.fromIndex())) done[0] = true;
              else if (contiguous) {
                collected.add(e);
                bytes[0] += e.sizeBytes();
              }
            }
          } else if (event instanceof RaftEvent.EntriesTruncated t) {
            bytes[0] -= dropFrom(collected, t.fromIndex());
          }
          return Behaviors.same();
        }
        if (msg instanceof JournalProtocol.RecoverySuccess success) {
          if (done[0] || lastSeq[0] >= success.highestSequenceNr() || replayedThisRound[0] == 0) {
            log.tell(new ReadDone(read, lastSeq[0], List.copyOf(collected)));
            return Behaviors.stopped();
          }
          nextRound.run();
          return Behaviors.same();
        }
        if (msg == ReadTimedOut.INSTANCE) {
          c.getLog().warn("Reading entries from {} back from the journal of {}: no answer within {}", read.fromIndex(),
              persistenceId, READ_TIMEOUT);
          log.tell(new ReadDone(read, lastSeq[0], List.of()));
          return Behaviors.stopped();
        }
        if (msg instanceof JournalProtocol.ReplayMessagesFailure f) {
          c.getLog().warn("Reading entries from {} back from the journal of {} failed: {}", read.fromIndex(),
              persistenceId, f.cause().toString());
          log.tell(new ReadDone(read, lastSeq[0], List.of()));
          return Behaviors.stopped();
        }
        return Behaviors.same();
      });
    });
  }

  /** Removes the entries from {@code index} on; returns their bytes. */
  private static long dropFrom(ArrayList<LogEntry> collected, long index) {
    long removed = 0;
    while (!collected.isEmpty() && collected.get(collected.size() - 1).index() >= index) {
      removed += collected.remove(collected.size() - 1).sizeBytes();
    }
    return removed;
  }
}
