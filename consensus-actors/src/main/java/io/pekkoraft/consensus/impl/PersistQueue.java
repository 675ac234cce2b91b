package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Group commit in front of {@link RaftLog}, and the rule "persist, then answer" written down once.
 *
 * <p>Events are added as the server handles messages; {@link #flush()} sends what was added so far as
 * one batch, but only when no batch is in flight. While one is, new events queue and become the next
 * batch: under load one write covers many messages, and the server never waits for the disk. A batch
 * holds at most {@code maxBytes} (a run of appended entries is split across batches where needed; one
 * entry is never larger than a batch, see {@link RaftSettings}), so no write is ever too large for the
 * journal.
 *
 * <p>{@link #afterDurable(Runnable)} runs an action once every event added before it is stored: replies to
 * RPCs (which reveal our term, vote and log) go through here, so no node answers before its state is on
 * stable storage (§5.1, Figure 2: "updated on stable storage before responding to RPCs").
 *
 * <p>It also says up to which index the log is durable ({@code onDurable}), so that older entries may
 * leave memory: after a batch is stored, the log as it stood when the batch was sent, less anything
 * truncated since.
 */
final class PersistQueue {

  /** What an event other than appended entries counts for, in bytes, towards a batch. */
  private static final int EVENT_BYTES = 64;

  /** An action to run once the first {@code units} events (each appended entry counts as one) are durable. */
  private record Waiting(long units, Runnable action) {}

  private final ActorRef<RaftLog.Command> log;
  private final ActorRef<ServerCommand> server;
  private final long maxBytes;
  private final LongConsumer onDurable;
  private final ArrayList<RaftEvent> pending = new ArrayList<>();
  /**
   * Entries appended since the last other event: they become one EntriesAppended event, so a batch of
   * many client commands is one journal event, serialized once, not one per command.
   */
  private ArrayList<LogEntry> appendRun;
  private final ArrayDeque<Waiting> actions = new ArrayDeque<>();
  /** Events added so far (each appended entry counts as one), sent to the log, and stored. */
  private long addedUnits;
  private long sentUnits;
  private long durableUnits;
  private boolean inFlight;
  private long batchSeq;
  /** The last index of the log as written by all batches sent so far. */
  private long writtenLastIndex;
  /**
   * What the batch in flight makes durable: writtenLastIndex when it was sent, less anything a truncation
   * or a log-replacing snapshot not yet stored (still queued, or added since) removes.
   */
  private long inFlightDurable;

  PersistQueue(ActorRef<RaftLog.Command> log, ActorRef<ServerCommand> server, long maxBytes, long lastIndex,
      LongConsumer onDurable) {
    this.log = log;
    this.server = server;
    this.maxBytes = maxBytes;
    this.writtenLastIndex = lastIndex;
    this.onDurable = onDurable;
  }

  void add(RaftEvent event) {
    if (event instanceof RaftEvent.EntriesAppended appended) {
      if (appendRun == null) appendRun = new ArrayList<>();
      appendRun.addAll(appended.entries());
      addedUnits += appended.entries().size();
      return;
    }
    if (inFlight) inFlightDurable = Math.min(inFlightDurable, cutFloor(event));
    closeAppendRun();
    pending.add(event);
    addedUnits++;
  }

  /** The last index an event leaves as it was: below a truncation, up to a snapshot's compaction point. */
  private static long cutFloor(RaftEvent event) {
    if (event instanceof RaftEvent.EntriesTruncated t) return t.fromIndex() - 1;
    if (event instanceof RaftEvent.SnapshotStored s) return s.compactTo(); // it may have replaced what follows
    return Long.MAX_VALUE;
  }

  private void closeAppendRun() {
    if (appendRun != null) {
      pending.add(new RaftEvent.EntriesAppended(List.copyOf(appendRun)));
      appendRun = null;
    }
  }

  /** Run {@code action} once everything added so far is durable: now, if it already is. */
  void afterDurable(Runnable action) {
    if (addedUnits == durableUnits) action.run();
    else actions.add(new Waiting(addedUnits, action));
  }

  /** Send the queued events as one batch of at most maxBytes, unless a batch is already in flight. */
  void flush() {
    if (inFlight) return;
    closeAppendRun();
    if (pending.isEmpty()) return;
    List<RaftEvent> batch = takeBatch();
    batchSeq++;
    log.tell(new RaftLog.Persist(batchSeq, batch, server));
    long durable = writtenLastIndex;
    for (RaftEvent later : pending) durable = Math.min(durable, cutFloor(later));
    inFlightDurable = durable;
    inFlight = true;
  }

  /** Removes from pending the events of the next batch, splitting a run of entries at the bound. */
  private List<RaftEvent> takeBatch() {
    List<RaftEvent> batch = new ArrayList<>();
    long bytes = 0;
    int taken = 0;
    for (; taken < pending.size(); taken++) {
      RaftEvent e = pending.get(taken);
      if (e instanceof RaftEvent.EntriesAppended a) {
        List<LogEntry> entries = a.entries();
        int n = 0;
        long size = bytes;
        while (n < entries.size() && (size + entries.get(n).sizeBytes() <= maxBytes || (batch.isEmpty() && n == 0))) {
          size += entries.get(n).sizeBytes();
          n++;
        }
        if (n == 0) break;
        sentUnits += n;
        if (n < entries.size()) {
          batch.add(new RaftEvent.EntriesAppended(List.copyOf(entries.subList(0, n))));
          pending.set(taken, new RaftEvent.EntriesAppended(List.copyOf(entries.subList(n, entries.size()))));
          writtenLastIndex = entries.get(n - 1).index();
          break;
        }
        batch.add(e);
        bytes = size;
        writtenLastIndex = entries.get(entries.size() - 1).index();
      } else {
        if (!batch.isEmpty() && bytes + EVENT_BYTES > maxBytes) break;
        batch.add(e);
        bytes += EVENT_BYTES;
        sentUnits++;
        // A snapshot may have replaced the entries after compactTo (or put the log's end there): count only up
        // to it until the next append.
        if (e instanceof RaftEvent.SnapshotStored st) writtenLastIndex = st.compactTo();
        else writtenLastIndex = Math.min(writtenLastIndex, cutFloor(e));
      }
    }
    pending.subList(0, taken).clear();
    return batch;
  }

  /** The log stored batch {@code seq}: run what waited for it, then send the next batch. */
  void onPersisted(long seq) {
    if (!inFlight || seq != batchSeq) {
      throw new IllegalStateException("persisted batch " + seq + " but batch " + batchSeq + " was in flight=" + inFlight);
    }
    inFlight = false;
    durableUnits = sentUnits;
    onDurable.accept(inFlightDurable);
    while (!actions.isEmpty() && actions.peek().units() <= durableUnits) actions.poll().action().run();
    flush();
  }
}
