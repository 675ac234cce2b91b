package io.pekkoraft.chaos.node;

import java.util.function.LongSupplier;

/**
 * A monotonic clock that runs at {@code rate} times another one, from the moment it is made: what a node whose
 * clock is off by that rate would measure. A chaos node times the leader's read lease on it
 * ({@code --clock-rate}): a leader whose clock runs slow believes its lease lasts longer than it does, which
 * only {@code pekko-raft.read.lease-clock-drift-margin} makes up for.
 */
public final class RateClock implements LongSupplier {

  private final LongSupplier base;
  private final double rate;
  private final long start;

  public RateClock(LongSupplier base, double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("a clock rate must be positive, not " + rate);
    this.base = base;
    this.rate = rate;
    this.start = base.getAsLong();
  }

  @Override
  public long getAsLong() {
    return start + (long) ((base.getAsLong() - start) * rate);
  }
}
