package io.pekkoraft.benchmarks;

import java.util.Arrays;

/**
 * What one closed-loop client saw during one phase. Owned by the client's thread alone; read by the
 * phase only after that thread has ended, so it needs no synchronization.
 */
public final class ClientTally {

  private long[] latenciesNanos = new long[1024];
  private int counted;
  private long acknowledged;
  private long errors;
  private long unknownOutcome;
  private long orderViolations;
  private long lastReply = Long.MIN_VALUE;

  /**
   * A reply arrived. Every reply counts as acknowledged (for the final consistency check); its latency
   * is counted only when {@code inWindow}. A reply that is not larger than the previous reply of this
   * client is an order violation: the register only grows, and this client waited for each reply before
   * submitting the next command.
   */
  public void reply(long value, long latencyNanos, boolean inWindow) {
    acknowledged++;
    if (value <= lastReply) orderViolations++;
    lastReply = value;
    if (!inWindow) return;
    if (counted == latenciesNanos.length) latenciesNanos = Arrays.copyOf(latenciesNanos, counted * 2);
    latenciesNanos[counted++] = latencyNanos;
  }

  /**
   * A read answered {@code value}. A value below this client's previous answer went back in time (the
   * register only grows, and each read started after the previous one answered); counted as an order
   * violation. Reads do not count as acknowledged ops.
   */
  public void read(long value, long latencyNanos, boolean inWindow) {
    if (value < lastReply) orderViolations++;
    lastReply = value;
    if (!inWindow) return;
    if (counted == latenciesNanos.length) latenciesNanos = Arrays.copyOf(latenciesNanos, counted * 2);
    latenciesNanos[counted++] = latencyNanos;
  }

  /**
   * A request failed. {@code outcomeUnknown}: it may still have been applied (a timeout, a lost quorum),
   * so the final register may exceed the acknowledged count by up to the number of such failures.
   */
  public void error(boolean inWindow, boolean outcomeUnknown) {
    if (inWindow) errors++;
    if (outcomeUnknown) unknownOutcome++;
  }

  public long acknowledged() {
    return acknowledged;
  }

  public long errors() {
    return errors;
  }

  public long unknownOutcome() {
    return unknownOutcome;
  }

  public long orderViolations() {
    return orderViolations;
  }

  /** The latencies counted in the window, in the order they were measured. */
  public long[] latenciesNanos() {
    return Arrays.copyOf(latenciesNanos, counted);
  }
}
