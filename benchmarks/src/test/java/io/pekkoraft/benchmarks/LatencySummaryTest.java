package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void nearestRankPicksTheValueAtCeilingRank() {
    long[] hundred = LongStream.rangeClosed(1, 100).toArray();
    assertEquals(50, LatencySummary.nearestRank(hundred, 50));
    assertEquals(99, LatencySummary.nearestRank(hundred, 99));
    assertEquals(100, LatencySummary.nearestRank(hundred, 100));
    assertEquals(1, LatencySummary.nearestRank(hundred, 1));

    long[] ten = LongStream.rangeClosed(1, 10).map(v -> v * 10).toArray();
    assertEquals(50, LatencySummary.nearestRank(ten, 50)); // rank ceil(5.0) = 5
    assertEquals(100, LatencySummary.nearestRank(ten, 99)); // rank ceil(9.9) = 10: never interpolated

    long[] three = {7, 8, 9};
    assertEquals(8, LatencySummary.nearestRank(three, 50)); // rank ceil(1.5) = 2
    assertEquals(9, LatencySummary.nearestRank(three, 99));
    assertEquals(5, LatencySummary.nearestRank(new long[] {5}, 50));
  }

  @Test
  void nearestRankRefusesNothingAndPercentilesOutOfRange() {
    assertThrows(IllegalArgumentException.class, () -> LatencySummary.nearestRank(new long[0], 50));
    assertThrows(IllegalArgumentException.class, () -> LatencySummary.nearestRank(new long[] {1}, 0));
    assertThrows(IllegalArgumentException.class, () -> LatencySummary.nearestRank(new long[] {1}, 101));
  }

  @Test
  void summaryMergesEveryClientsWindowLatencies() {
    ClientTally a = new ClientTally();
    ClientTally b = new ClientTally();
    a.reply(1, 400, false); // warm-up: acknowledged, not measured
    a.reply(2, 300, true);
    a.reply(3, 100, true);
    b.reply(4, 200, true);
    b.reply(5, 1000, true);

    LatencySummary s = LatencySummary.of(List.of(a, b));

    assertEquals(4, s.count());
    assertEquals(200, s.p50Nanos()); // sorted 100 200 300 1000, rank 2
    assertEquals(1000, s.p99Nanos());
    assertEquals(1000, s.maxNanos());
    assertEquals(400.0, s.meanNanos());
  }

  @Test
  void emptySummaryIsAllZero() {
    assertEquals(new LatencySummary(0, 0, 0, 0, 0), LatencySummary.of(new long[0]));
  }
}
