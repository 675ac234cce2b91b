package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.impl.SessionSettings;
import java.util.concurrent.CompletableFuture;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One client's session (a {@code RaftGroup} handle, or the connection all {@code RaftClient}s of a group on
 * a system share): its id in the group, opened through the log on first use and again after it expired;
 * the sequence numbers of its commands (one counter across its successive sessions, so a number is never
 * reused); and the commands still waiting for their answer, whose lowest one tells the servers which
 * answers they may forget (every sequence below it has been answered).
 */
final class ClientSession {

  private final SessionSettings settings;
  private long lastSequence; // guarded by this
  private final TreeSet<Long> outstanding = new TreeSet<>(); // guarded by this
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
    if (outstanding.size() >= settings.cachedResultsMax()) return 0;
    long sequence = ++lastSequence;
    outstanding.add(sequence);
    return sequence;
  }

  /** The caller of {@code sequence} has its answer (or gave up): the servers may forget it. */
  synchronized void done(long sequence) {
    outstanding.remove(sequence);
  }

  /** Every sequence up to this one has been answered to its caller. */
  synchronized long acked() {
    return outstanding.isEmpty() ? lastSequence : outstanding.first() - 1;
  }
}
