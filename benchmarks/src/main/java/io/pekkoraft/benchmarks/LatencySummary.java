package io.pekkoraft.benchmarks;

import java.util.Arrays;
import java.util.List;

/**
 * The latencies of all clients of one phase, merged: count, nearest-rank percentiles, maximum and mean.
 *
 * <p>Nearest rank: the p-th percentile of n sorted values is the value at rank {@code ceil(p/100 * n)}
 * (1-based), so it is always one of the measured values, never an interpolation.
 */
public record LatencySummary(int count, long p50Nanos, long p99Nanos, long maxNanos, double meanNanos) {

  public static LatencySummary of(List<ClientTally> clients) {
    long[] all = clients.stream().map(ClientTally::latenciesNanos).flatMapToLong(Arrays::stream).toArray();
    return of(all);
  }

  public static LatencySummary of(long[] latenciesNanos) {
    long[] sorted = latenciesNanos.clone();
    Arrays.sort(sorted);
    if (sorted.length == 0) return new LatencySummary(0, 0, 0, 0, 0);
    double sum = 0;
    for (long v : sorted) sum += v;
    return new LatencySummary(sorted.length, nearestRank(sorted, 50), nearestRank(sorted, 99),
        sorted[sorted.length - 1], sum / sorted.length);
  }

  /** The {@code percentile}-th percentile of {@code sorted} (ascending, not empty) by the nearest-rank method. */
  public static long nearestRank(long[] sorted, int percentile) {
    if (sorted.length == 0) throw new IllegalArgumentException("no values");
    if (percentile < 1 || percentile > 100) throw new IllegalArgumentException("percentile must be in 1..100: " + percentile);
    // ceil(percentile * n / 100) in integers: no rounding error at exact ranks.
    long rank = ((long) percentile * sorted.length + 99) / 100;
    return sorted[(int) rank - 1];
  }
}
