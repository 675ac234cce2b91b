package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshot;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.consensus.rules.ReplicationProgress;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Replicates the leader's log to one follower. A child of the leader, alive for one term of leadership
 * only: stepping down stops it. The leader watches it and replaces one that fails by a fresh one.
 *
 * <p>It keeps a buffer of entries the leader pushed to it and pipelines AppendEntries from there, up to a
 * window of batches in flight, each batch bounded in entries and bytes. When the follower rejects, the
 * leader turns the follower's conflict hint into a new next index and this replicator probes from there,
 * fetching older entries from the leader when its buffer does not reach back that far. Heartbeats are
 * sent on their own timer, independent of the window, so they never wait behind appends.
 */
final class Replicator extends AbstractBehavior<Replicator.Command> {

  interface Command extends NoSerializationVerificationNeeded {}

  /**
   * Entries of the leader's log, contiguous, following the entry (prevIndex, prevTerm): either just
   * appended by the leader, or {@code fetched} on this replicator's request.
   */
  record Entries(long prevIndex, long prevTerm, List<LogEntry> entries, boolean fetched) implements Command {}

  /** The follower stored everything up to matchIndex (answer to batch {@code seq}). */
  record Acked(long seq, long matchIndex) implements Command {}

  /** The follower's log did not match; continue from {@code nextIndex} (answer to batch {@code seq}). */
  record Rejected(long seq, long nextIndex) implements Command {}

  /** Send a heartbeat now, confirming ReadIndex round {@code round}. */
  record HeartbeatNow(long round) implements Command {}

  /** The entries the follower needs are compacted: send it this snapshot of the leader's (answer to a fetch). */
  record SendSnapshot(ServerState.Snapshot snapshot) implements Command {}

  /** The follower's answer to the InstallSnapshot chunk at {@code chunkOffset} of the snapshot at {@code index}. */
  record SnapshotAck(long index, long chunkOffset, long nextOffset, boolean installed) implements Command {}

  /** The leader took a snapshot at {@code index}; a transfer of an older one is stale. */
  record NewerSnapshot(long index) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** Do not wait for the retransmit interval: send again from the follower's match point now. */
  enum ResendNow implements Command {
    INSTANCE
  }

  /**
   * What a replicator is given, once, by the leader that spawns it: nothing of the leader's mutable state.
   *
   * @param term the leader's term; the replicator lives for this term only
   * @param leaderLastIndex the leader's last log index when it spawned this replicator (read on its thread)
   * @param leader where fetches of entries and snapshots go
   * @param snapshots this member's snapshot files (stateless), to send a snapshot from
   */
  record Setup(
      String peer,
      String selfId,
      long term,
      long leaderLastIndex,
      Duration heartbeatInterval,
      int batchEntriesMax,
      long batchBytesMax,
      int window,
      int snapshotChunkBytes,
      Transport transport,
      ActorRef<ServerCommand> leader,
      SnapshotFiles snapshots) {

    /** The setup for a replicator to {@code peer}, taken from the leader's state now, on the leader's thread. */
    static Setup of(String peer, ServerState state) {
      return of(peer, state, state.log.lastIndex());
    }

    /**
     * The setup for a replicator started in the middle of a term (a member added, a replicator that
     * failed): it starts one entry back, at the leader's last entry, which the leader then pushes to it, so
     * that it probes the follower at once instead of waiting for the next command.
     */
    static Setup probingFromLastEntry(String peer, ServerState state) {
      return of(peer, state, state.log.lastIndex() - 1);
    }

    private static Setup of(String peer, ServerState state, long leaderLastIndex) {
      RaftSettings s = state.settings;
      return new Setup(peer, state.selfId, state.currentTerm, leaderLastIndex, s.heartbeatInterval(),
          s.batchEntriesMax(), s.batchBytesMax(), s.window(), s.snapshotChunkBytes(), state.transport,
          state.ctx.getSelf(), state.snapshots);
    }
  }

  /** Answers in flight that did not come back within this many heartbeat intervals are presumed lost. */
  private static final int RETRANSMIT_TICKS = 3;

  /**
   * How many times one follower's snapshot transfers are abandoned for a newer snapshot before the
   * replicator finishes the one it sends whatever comes: with snapshots taken faster than a transfer
   * takes, always switching to the newest would never finish one.
   */
  private static final int SNAPSHOT_RESTARTS_MAX = 3;

  /**
   * A snapshot being sent to the follower, one chunk in flight at a time: the chunk at {@code offset}.
   * Only the answer to that chunk moves the transfer on, so duplicated, late and retransmitted answers
   * never start a second stream. The file stays open until the transfer ends, so a newer snapshot that
   * deletes it does not cut the transfer short.
   */
  private static final class Transfer {
    final ServerState.Snapshot snapshot;
    final java.nio.channels.FileChannel file;
    long offset;

    Transfer(ServerState.Snapshot snapshot, java.nio.channels.FileChannel file) {
      this.snapshot = snapshot;
      this.file = file;
    }

    void close() {
      try {
        file.close();
      } catch (java.io.IOException e) {
        // read-only: nothing to lose
      }
    }
  }

  private final Setup setup;
  private final String peer;
  private final long term;
  private final Transport transport;
  private final ActorRef<ServerCommand> leader;
  /**
   * The leader's commit index, written by the leader, read here whenever an AppendEntries or a heartbeat
   * leaves. Shared rather than sent: the commit index moves on nearly every acknowledgement, and telling
   * every replicator each time would add a message per peer per commit on the write path, for a value
   * most replicators read only at their next send. A value read a little late is safe: the follower
   * learns a lower commit index, never a wrong one (it only rises, and the heartbeat caps it at matchIndex).
   */
  private final AtomicLong commitIndex;
  private final ReplicationProgress progress;
  private final long bufferBytesMax;

  private final ArrayList<LogEntry> buffer = new ArrayList<>();
  private long bufferPrevIndex = -1; // index of the entry just before buffer(0); -1 when nothing is known
  private long bufferPrevTerm;
  private long bufferBytes;
  private long leaderLastIndex;
  private long seq;
  private long lastResetSeq;
  private long round;
  private int ticksWithoutAnswer;
  private boolean fetchPending;
  private Transfer transfer;
  private int snapshotRestarts;
  /** A fetch found nothing to read: do not ask again before the next tick. */
  private boolean fetchFoundNothing;
  /** Where entries read back from the leader's journal arrive. */
  private final ActorRef<RaftLog.ReadResult> journalReads;

  /** @param commitIndex the leader's commit index, shared (see {@link #commitIndex}) */
  static Behavior<Command> create(Setup setup, AtomicLong commitIndex) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Replicator(ctx, timers, setup, commitIndex)));
  }

  private Replicator(ActorContext<Command> ctx, TimerScheduler<Command> timers, Setup setup, AtomicLong commitIndex) {
    super(ctx);
    this.setup = setup;
    this.peer = setup.peer();
    this.term = setup.term();
    this.transport = setup.transport();
    this.leader = setup.leader();
    this.commitIndex = commitIndex;
    this.leaderLastIndex = setup.leaderLastIndex();
    this.progress = new ReplicationProgress(leaderLastIndex + 1, setup.window());
    this.bufferBytesMax = setup.batchBytesMax() * setup.window() * 4L;
    this.journalReads = ctx.messageAdapter(RaftLog.ReadResult.class,
        r -> new Entries(r.fromIndex() - 1, r.prevTerm(), r.entries(), true));
    timers.startTimerAtFixedRate(Tick.INSTANCE, setup.heartbeatInterval());
    sendHeartbeat();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Entries.class, this::onEntries)
        .onMessage(Acked.class, this::onAcked)
        .onMessage(Rejected.class, this::onRejected)
        .onMessage(HeartbeatNow.class, this::onHeartbeatNow)
        .onMessage(SendSnapshot.class, this::onSendSnapshot)
        .onMessage(SnapshotAck.class, this::onSnapshotAck)
        .onMessage(NewerSnapshot.class, this::onNewerSnapshot)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(ResendNow.INSTANCE, this::onResendNow)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
          endTransfer();
          return this;
        })
        .build();
  }

  private Behavior<Command> onEntries(Entries e) {
    if (e.fetched()) {
      fetchPending = false;
      fetchFoundNothing = e.entries().isEmpty();
    }
    if (!e.entries().isEmpty()) {
      long last = e.entries().get(e.entries().size() - 1).index();
      leaderLastIndex = Math.max(leaderLastIndex, last);
      long next = progress.nextIndex();
      if (bufferPrevIndex >= 0 && e.prevIndex() == bufferPrevIndex + buffer.size()) {
        for (LogEntry entry : e.entries()) {
          buffer.add(entry);
          bufferBytes += entry.sizeBytes();
        }
      } else if (bufferPrevIndex < 0 || (e.prevIndex() <= next - 1 && last >= next)) {
        buffer.clear();
        buffer.addAll(e.entries());
        bufferPrevIndex = e.prevIndex();
        bufferPrevTerm = e.prevTerm();
        bufferBytes = buffer.stream().mapToLong(LogEntry::sizeBytes).sum();
      }
      if (bufferBytes > bufferBytesMax) {
        // The follower is slow or far behind: keep memory bounded and fetch from the leader's log later.
        buffer.clear();
        bufferPrevIndex = -1;
        bufferBytes = 0;
      }
    }
    sendAppends(); // the leader gathers a burst of commands into one push (Internal.PushEntries)
    return this;
  }

  private Behavior<Command> onResendNow() {
    if (transfer != null) {
      sendChunk();
    } else if (progress.inflightCount() > 0) {
      resendFromMatchPoint();
    }
    return this;
  }

  private Behavior<Command> onAcked(Acked a) {
    ticksWithoutAnswer = 0;
    progress.onSuccess(a.seq(), a.matchIndex());
    trimBuffer();
    sendAppends();
    return this;
  }

  private Behavior<Command> onRejected(Rejected r) {
    ticksWithoutAnswer = 0;
    if (r.seq() <= lastResetSeq) return this; // answer to a batch sent before we last backed up
    progress.onReject(r.nextIndex());
    lastResetSeq = seq;
    sendAppends();
    return this;
  }

  private Behavior<Command> onHeartbeatNow(HeartbeatNow h) {
    round = Math.max(round, h.round());
    sendHeartbeat();
    return this;
  }

  private Behavior<Command> onTick() {
    sendHeartbeat();
    if (fetchFoundNothing) {
      fetchFoundNothing = false;
      sendAppends();
    }
    if (transfer != null) {
      if (++ticksWithoutAnswer >= RETRANSMIT_TICKS) sendChunk(); // the chunk or its answer was lost
      return this;
    }
    if (progress.inflightCount() > 0 && ++ticksWithoutAnswer >= RETRANSMIT_TICKS) resendFromMatchPoint();
    return this;
  }

  /** The batches in flight are presumed lost: send again from the follower's match point. */
  private void resendFromMatchPoint() {
    ticksWithoutAnswer = 0;
    progress.onTimeout();
    lastResetSeq = seq; // answers to the batches sent before now no longer count
    sendAppends();
  }

  private void sendHeartbeat() {
    // Capped at the follower's match index, so the follower can commit without a log check.
    long commit = Math.min(commitIndex.get(), progress.matchIndex());
    transport.send(peer, new Heartbeat(term, setup.selfId(), commit, round));
  }

  // ---- snapshots (§7) ----

  private Behavior<Command> onSendSnapshot(SendSnapshot s) {
    fetchPending = false;
    if (transfer != null && transfer.snapshot.index() >= s.snapshot().index()) return this;
    if (s.snapshot().index() <= progress.matchIndex()) { // the follower has all it covers by now
      sendAppends();
      return this;
    }
    try {
      endTransfer();
      transfer = new Transfer(s.snapshot(), setup.snapshots().open(s.snapshot().index(), s.snapshot().term()));
    } catch (java.io.IOException e) {
      // Two newer snapshots replaced it since the leader named it: ask again, for the latest.
      getContext().getLog().debug("{} cannot open its snapshot up to {} for {} ({}); asking for the latest",
          setup.selfId(), s.snapshot().index(), peer, e.toString());
      fetch(progress.nextIndex());
      return this;
    }
    getContext().getLog().debug("{} sends its snapshot up to {} ({} bytes) to {}", setup.selfId(),
        s.snapshot().index(), s.snapshot().bytes(), peer);
    sendChunk();
    return this;
  }

  private void sendChunk() {
    ticksWithoutAnswer = 0;
    ServerState.Snapshot snap = transfer.snapshot;
    byte[] chunk;
    try {
      chunk = SnapshotFiles.readChunk(transfer.file, transfer.offset, setup.snapshotChunkBytes());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(setup.selfId() + ": cannot read its snapshot " + setup.snapshots().path(
          snap.index(), snap.term()) + " to send it to " + peer + ": " + e, e);
    }
    transport.send(peer, new InstallSnapshot(term, setup.selfId(), snap.index(), snap.term(), snap.bytes(),
        transfer.offset, chunk, snap.configurationIndex(), snap.configuration()));
  }

  private Behavior<Command> onSnapshotAck(SnapshotAck a) {
    if (a.installed()) {
      ticksWithoutAnswer = 0;
      if (transfer != null && a.index() >= transfer.snapshot.index()) endTransfer();
      if (a.index() > progress.matchIndex()) {
        progress.onSnapshotInstalled(a.index());
        lastResetSeq = seq;
        trimBuffer();
      }
      if (transfer == null) sendAppends();
      return this;
    }
    // Only the answer to the chunk in flight counts: one stream per follower.
    if (transfer == null || a.index() != transfer.snapshot.index() || a.chunkOffset() != transfer.offset) return this;
    ticksWithoutAnswer = 0;
    if (a.nextOffset() < 0 || a.nextOffset() > transfer.snapshot.bytes()) {
      getContext().getLog().warn("{} got an InstallSnapshot answer from {} with offset {} outside the snapshot of {}"
          + " bytes; starting over", setup.selfId(), peer, a.nextOffset(), transfer.snapshot.bytes());
      transfer.offset = 0;
    } else {
      transfer.offset = a.nextOffset();
    }
    sendChunk();
    return this;
  }

  private void endTransfer() {
    if (transfer != null) transfer.close();
    transfer = null;
  }

  private void fetch(long from) {
    fetchPending = true;
    leader.tell(new Internal.FetchEntries(peer, from, journalReads));
  }

  /** Abandon a transfer the leader has a newer snapshot for (a bounded number of times, see SNAPSHOT_RESTARTS_MAX). */
  private Behavior<Command> onNewerSnapshot(NewerSnapshot n) {
    if (transfer == null || n.index() <= transfer.snapshot.index() || snapshotRestarts >= SNAPSHOT_RESTARTS_MAX) {
      return this;
    }
    snapshotRestarts++;
    endTransfer();
    fetch(progress.nextIndex());
    return this;
  }

  /** Send batches while the window has room and the follower is behind the leader's last index. */
  private void sendAppends() {
    if (transfer != null) return; // entries resume once the follower has installed the snapshot
    while (progress.canSend() && progress.nextIndex() <= leaderLastIndex) {
      long next = progress.nextIndex();
      if (!bufferCovers(next)) {
        if (!fetchPending && !fetchFoundNothing) fetch(next);
        return;
      }
      List<LogEntry> batch = batchFrom(next);
      long last = batch.get(batch.size() - 1).index();
      seq++;
      transport.send(peer, new AppendEntries(term, setup.selfId(), next - 1, termInBuffer(next - 1), batch, commitIndex.get(), seq));
      progress.onSent(seq, last);
    }
  }

  private boolean bufferCovers(long next) {
    return bufferPrevIndex >= 0 && next - 1 >= bufferPrevIndex && next <= bufferPrevIndex + buffer.size();
  }

  private long termInBuffer(long index) {
    return index == bufferPrevIndex ? bufferPrevTerm : buffer.get((int) (index - bufferPrevIndex - 1)).term();
  }

  private List<LogEntry> batchFrom(long next) {
    return LogView.batch(buffer, (int) (next - bufferPrevIndex - 1), setup.batchEntriesMax(),
        setup.batchBytesMax());
  }

  /** Drop buffered entries the follower has stored; keep the term of the last one for the next prevLogTerm. */
  private void trimBuffer() {
    long match = progress.matchIndex();
    if (bufferPrevIndex < 0 || match <= bufferPrevIndex || match > bufferPrevIndex + buffer.size()) return;
    int drop = (int) (match - bufferPrevIndex);
    bufferPrevTerm = buffer.get(drop - 1).term();
    List<LogEntry> dropped = buffer.subList(0, drop);
    for (LogEntry e : dropped) bufferBytes -= e.sizeBytes();
    dropped.clear();
    bufferPrevIndex = match;
  }
}
