package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Group commit in front of {@link RaftLog}, and the rule "persist, then answer" written down once.
 *
 * <p>Events are added as the server handles messages; {@link #flush()} sends everything added so far as
 * one batch, but only when no batch is in flight. While one is, new events queue and become the next
 * batch: under load one write covers many messages, and the server never waits for the disk.
 *
 * <p>{@link #afterDurable(Runnable)} runs an action once every event added before it is stored: replies to
 * RPCs (which reveal our term, vote and log) go through here, so no node answers before its state is on
 * stable storage (§5.1, Figure 2: "updated on stable storage before responding to RPCs").
 */
final class PersistQueue {

  private final ActorRef<RaftLog.Command> log;
  private final ActorRef<ServerCommand> server;
  private List<RaftEvent> pending = new ArrayList<>();
  /**
   * Entries appended since the last other event: they become one EntriesAppended event, so a batch of
   * many client commands is one journal event, serialized once, not one per command.
   */
  private ArrayList<LogEntry> appendRun;
  private List<Runnable> pendingActions = new ArrayList<>();
  private List<Runnable> inFlightActions = new ArrayList<>();
  private boolean inFlight;
  private long batchSeq;

  PersistQueue(ActorRef<RaftLog.Command> log, ActorRef<ServerCommand> server) {
    this.log = log;
    this.server = server;
  }

  void add(RaftEvent event) {
    if (event instanceof RaftEvent.EntriesAppended appended) {
      if (appendRun == null) appendRun = new ArrayList<>();
      appendRun.addAll(appended.entries());
      return;
    }
    closeAppendRun();
    pending.add(event);
  }

  private void closeAppendRun() {
    if (appendRun != null) {
      pending.add(new RaftEvent.EntriesAppended(List.copyOf(appendRun)));
      appendRun = null;
    }
  }

  /** Run {@code action} once everything added so far is durable: now, if it already is. */
  void afterDurable(Runnable action) {
    if (!pending.isEmpty() || appendRun != null) pendingActions.add(action);
    else if (inFlight) inFlightActions.add(action);
    else action.run();
  }

  /** Send the queued events as one batch, unless a batch is already in flight. */
  void flush() {
    if (inFlight) return;
    closeAppendRun();
    if (pending.isEmpty()) return;
    batchSeq++;
    log.tell(new RaftLog.Persist(batchSeq, List.copyOf(pending), server));
    inFlightActions = pendingActions;
    pending = new ArrayList<>();
    pendingActions = new ArrayList<>();
    inFlight = true;
  }

  /** The log stored batch {@code seq}: run what waited for it, then send the next batch. */
  void onPersisted(long seq) {
    if (!inFlight || seq != batchSeq) {
      throw new IllegalStateException("persisted batch " + seq + " but batch " + batchSeq + " was in flight=" + inFlight);
    }
    inFlight = false;
    List<Runnable> done = inFlightActions;
    inFlightActions = new ArrayList<>();
    for (Runnable action : done) action.run();
    flush();
  }
}
