package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.impl.SessionSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One client's session (a {@code RaftGroup} handle, or the connection all {@code RaftClient}s of a group on
 * a system share): its id in the group, opened through the log on first use and again after it expired;
 * the sequence numbers of its commands (one counter across its successive sessions, so a number is never
 * reused); and the commands still waiting for their answer, whose lowest one tells the servers which
 * answers they may forget (every sequence below it has been answered).
 *
 * <p>All the clients of a connection share one session, so every command of every client thread passes here:
 * only {@link #start} takes this object's monitor. {@link #done} runs on the thread that completes the answer
 * (the system's dispatcher, which must never wait for a client thread holding the monitor) and {@link #acked}
 * on every attempt, both without it.
 */
final class ClientSession {

  private final SessionSettings settings;
  /**
   * The last sequence started: written under this object's monitor, after the sequence joined
   * {@link #outstanding}, so that a sequence up to it that is still waiting is always found there.
   */
  private volatile long lastSequence;
  /** The sequences started and not done: added under the monitor, removed without it. */
  private final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
  /** How many {@link #outstanding} holds (its size() counts): raised under the monitor only. */
  private final AtomicInteger outstandingCount = new AtomicInteger();
  /** The session being opened or open; null: none (yet, or it expired). */
  private CompletableFuture<Long> current; // guarded by this
  /** When a command or keep-alive of this session was last sent (the loop's nanoTime). */
  volatile long lastSentNanos;

  ClientSession(SessionSettings settings) {
    this.settings = settings;
  }

  SessionSettings settings() {
    return settings;
  }

  /** The open session's id, opening one with {@code open} when there is none. */
  synchronized CompletableFuture<Long> id(Supplier<CompletableFuture<Long>> open) {
    if (current == null || current.isCompletedExceptionally()) current = open.get();
    return current;
  }

  /** The session's id when it is open, else 0. */
  synchronized long openId() {
    return current != null && current.isDone() && !current.isCompletedExceptionally() ? current.join() : 0;
  }

  /** {@code sessionId} expired: the next command opens a new session. */
  synchronized void expired(long sessionId) {
    if (current != null && current.isDone() && !current.isCompletedExceptionally() && current.join() == sessionId) {
      current = null;
    }
  }

  /** A sequence number for a new command, or 0 when max-cached-results-per-session commands are waiting. */
  synchronized long start() {
    if (outstandingCount.get() >= settings.cachedResultsMax()) return 0;
    long sequence = lastSequence + 1;
    outstanding.add(sequence);
    outstandingCount.incrementAndGet();
    lastSequence = sequence; // published once it is among the outstanding
    return sequence;
  }

  /** The caller of {@code sequence} has its answer (or gave up): the servers may forget it. */
  void done(long sequence) {
    if (outstanding.remove(sequence)) outstandingCount.decrementAndGet();
  }

  /**
   * Every sequence up to this one has been answered to its caller. Without the monitor: every sequence up to
   * the {@link #lastSequence} read first joined {@link #outstanding} before it was published, so one still
   * waiting is found there; one started meanwhile is above that last sequence. Never too high, at worst a
   * little low, which only keeps an answer on the servers a little longer.
   */
  long acked() {
    long last = lastSequence;
    Long lowest = outstanding.ceiling(1L);
    return lowest == null ? last : Math.min(lowest - 1, last);
  }
}
