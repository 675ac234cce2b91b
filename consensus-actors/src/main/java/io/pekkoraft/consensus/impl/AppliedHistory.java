package io.pekkoraft.consensus.impl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.pekkoraft.consensus.AppliedCommand;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.pekko.annotation.InternalApi;

/**
 * The commands one member's state machine applied most recently, with their results, for watches
 * ({@code RaftGroup.watchApplied}): a ring of at most {@code pekko-raft.watch.buffer-entries} of them, in log
 * order. Results exist only when a command is applied, so a member keeps them whether anyone watches or not;
 * every member computes the same ones, so a watch resumes on any member that still holds its next index.
 *
 * <p>One writer, the {@link StateMachineRunner} (on its actor's thread): {@link #record} per applied command,
 * {@link #published} once per batch, {@link #restored} when a snapshot replaces the state. Readers (watch
 * streams, on any thread) {@link #read} from an index on, and leave a wake-up when nothing is there yet. All
 * under this object's monitor, which the writer takes once per command and once per batch, uncontended
 * unless a watch reads at that moment.
 *
 * <p>Coverage: from {@link #firstAvailableIndex()} on, every command this member applied is here. It starts at
 * 1, moves past each command the ring drops to make room, and to just after a snapshot's index when a snapshot
 * is restored (the commands it covers were never applied here, or are forgotten with the state they built).
 * A read from before it is refused, never answered with a gap.
 */
@InternalApi
public final class AppliedHistory {

  private final AppliedCommand<?, ?>[] ring;
  /** Sequence numbers of the oldest command held and of the next one recorded; the slot is sequence mod size. */
  private long startSeq;
  private long endSeq;
  private long firstAvailableIndex = 1;
  /** The index of the last command recorded or snapshot restored: indexes only increase. */
  private long lastIndex;
  private List<Runnable> waiting = new ArrayList<>();
  private int readers;

  public AppliedHistory(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("an applied history holds at least 1 command, not " + capacity);
    this.ring = new AppliedCommand<?, ?>[capacity];
  }

  /** A history of {@code pekko-raft.watch.buffer-entries} commands. */
  public static AppliedHistory fromConfig(Config root) {
    int capacity = root.getInt("pekko-raft.watch.buffer-entries");
    if (capacity < 1) {
      throw new ConfigException.BadValue("pekko-raft.watch.buffer-entries", "must be at least 1, not " + capacity);
    }
    return new AppliedHistory(capacity);
  }

  public int capacity() {
    return ring.length;
  }

  /** How many commands it holds now (at most {@link #capacity()}). */
  public synchronized int size() {
    return (int) (endSeq - startSeq);
  }

  /** The lowest index from which every command applied here is held. */
  public synchronized long firstAvailableIndex() {
    return firstAvailableIndex;
  }

  // ---- the writer: StateMachineRunner

  /** One applied (or refused) command, after every one at a lower index. */
  synchronized void record(AppliedCommand<?, ?> command) {
    if (command.index() <= lastIndex) {
      throw new IllegalStateException("applied history: command at index " + command.index() + " recorded after index "
          + lastIndex + "; the state machine applies in log order");
    }
    if (endSeq - startSeq == ring.length) {
      int oldest = slot(startSeq);
      firstAvailableIndex = ring[oldest].index() + 1;
      ring[oldest] = null;
      startSeq++;
    }
    ring[slot(endSeq)] = command;
    endSeq++;
    lastIndex = command.index();
  }

  /**
   * The state machine was replaced by a snapshot covering the log up to {@code index}: the commands before it
   * are not this member's history any more. Wakes every reader (those behind it find out they are too old).
   */
  void restored(long index) {
    synchronized (this) {
      if (index < lastIndex) {
        throw new IllegalStateException("applied history: snapshot at index " + index + " restored after index "
            + lastIndex + " was applied");
      }
      while (startSeq < endSeq) ring[slot(startSeq++)] = null;
      firstAvailableIndex = index + 1;
      lastIndex = index;
    }
    published();
  }

  /** The end of a batch: wakes the readers that found nothing new. */
  void published() {
    List<Runnable> wake;
    synchronized (this) {
      if (waiting.isEmpty()) return;
      wake = waiting;
      waiting = new ArrayList<>();
    }
    for (Runnable r : wake) r.run();
  }

  // ---- the readers

  /**
   * Adds to {@code into} the commands held at {@code fromIndex} or above, oldest first, at most {@code max}. When
   * there are none yet, registers {@code wake}, run once (on the writer's thread, so it must only signal) after
   * the next batch or snapshot.
   *
   * @return 0, or, when {@code fromIndex} is before {@link #firstAvailableIndex()}, that index (nothing is added)
   */
  public synchronized long read(long fromIndex, int max, Collection<? super AppliedCommand<?, ?>> into, Runnable wake) {
    if (fromIndex < firstAvailableIndex) return firstAvailableIndex;
    long seq = firstAtOrAfter(fromIndex);
    if (seq == endSeq) {
      waiting.add(wake);
      return 0;
    }
    for (int n = 0; seq < endSeq && n < max; seq++, n++) into.add(ring[slot(seq)]);
    return 0;
  }

  /** Forgets a wake-up a reader left (it stopped). */
  public synchronized void cancel(Runnable wake) {
    waiting.remove(wake);
  }

  /** A reader started (an {@link AppliedSource} running); {@link #readerStopped()} when it stops, however. */
  public synchronized void readerStarted() {
    readers++;
  }

  public synchronized void readerStopped() {
    if (readers == 0) throw new IllegalStateException("an applied-history reader stopped that never started");
    readers--;
  }

  /** How many readers run now (watches not yet ended): tests check that a cancelled watch is let go. */
  public synchronized int readers() {
    return readers;
  }

  /** How many readers wait for the next batch. */
  public synchronized int readersWaiting() {
    return waiting.size();
  }

  /** The sequence number of the first command held at {@code index} or above ({@code endSeq} if none): indexes increase along the ring. */
  private long firstAtOrAfter(long index) {
    long lo = startSeq;
    long hi = endSeq;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (ring[slot(mid)].index() < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private int slot(long seq) {
    return (int) (seq % ring.length);
  }
}
