package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.impl.SessionSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One client's session (a {@code RaftGroup} handle, or the connection all {@code RaftClient}s of a group on
 * a system share): its id in the group, opened through the log on first use and again after it expired;
 * the sequence numbers of its commands (one counter across its successive sessions, so a number is never
 * reused); and the commands still waiting for their answer, whose lowest one tells the servers which
 * answers they may forget (every sequence below it has been answered).
 *
 * <p>All the clients of a connection share one session, so every command of every client thread passes here,
 * and {@link #done} runs on the thread that completes the answers (the system's dispatcher): {@link #start},
 * {@link #acked} and {@link #done} take no lock. With one, 64 client threads on 2 cores queued behind a holder
 * that was preempted, for tens of milliseconds, and the dispatcher with them.
 */
final class ClientSession {

  private final SessionSettings settings;
  /** The last sequence handed out. */
  private final AtomicLong lastSequence = new AtomicLong();
  /** How many {@link #start} calls are between taking a sequence and adding it to {@link #outstanding}. */
  private final AtomicInteger starting = new AtomicInteger();
  /** The sequences started and not done. */
  private final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
  /** The highest acknowledged sequence computed so far: given while a start is under way. */
  private final AtomicLong ackedKnown = new AtomicLong();
  /** Sequences started and not done (the set's size() counts): never above cachedResultsMax. */
  private final AtomicInteger outstandingCount = new AtomicInteger();
  /** The session being opened or open; null: none (yet, or it expired). Written under this object's monitor. */
  private volatile CompletableFuture<Long> current;
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

  /** The session's id when it is open, else 0; without the monitor (every command asks). */
  long openIdNow() {
    CompletableFuture<Long> open = current;
    return open != null && open.isDone() && !open.isCompletedExceptionally() ? open.join() : 0;
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
  long start() {
    if (outstandingCount.incrementAndGet() > settings.cachedResultsMax()) {
      outstandingCount.decrementAndGet();
      return 0;
    }
    starting.incrementAndGet();
    long sequence = lastSequence.incrementAndGet();
    outstanding.add(sequence);
    starting.decrementAndGet();
    return sequence;
  }

  /** The caller of {@code sequence} has its answer (or gave up): the servers may forget it. */
  void done(long sequence) {
    if (outstanding.remove(sequence)) outstandingCount.decrementAndGet();
  }

  /**
   * Every sequence up to this one has been answered to its caller: never too high (the servers would drop
   * the answer of a command still waiting, or refuse it), at worst lower than it could be, which only keeps
   * answers on the servers a little longer (they ignore an acknowledged sequence below one they had).
   * Every sequence up to the last one read joined {@link #outstanding} unless a start is still under way:
   * then the highest value computed before is given.
   */
  long acked() {
    long last = lastSequence.get();
    if (starting.get() != 0) return ackedKnown.get();
    Long lowest = outstanding.ceiling(1L);
    long acked = lowest == null ? last : Math.min(lowest - 1, last);
    return ackedKnown.accumulateAndGet(acked, Math::max);
  }
}
