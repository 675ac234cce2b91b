package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The simulation is deterministic: one seed, one history. That is what makes a failing seed reproducible. */
class DeterminismTest {

  private static String run(long seed) {
    try (SimCluster c = SimCluster.start(5, seed)) {
      c.network.setUnreliable(true);
      List<String> trace = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        List<String> leaders = new ArrayList<>(c.leaders());
        java.util.Collections.sort(leaders);
        if (!leaders.isEmpty()) c.submit(leaders.get(0), "cmd-" + i);
        if (i % 5 == 2 && !leaders.isEmpty()) c.network.isolate(leaders.get(0));
        if (i % 5 == 4) c.network.heal();
        c.advance(Duration.ofMillis(400));
        trace.add(c.nowMs() + " " + leaders + " " + c.network.sent("AppendEntries") + " " + c.network.sent("Heartbeat"));
      }
      Map<Long, String> leadersByTerm = new java.util.TreeMap<>(c.checker.leadersByTerm());
      trace.add(leadersByTerm.toString());
      for (String m : c.members()) trace.add(m + " " + c.checker.applied(m));
      c.checker.assertSafe();
      return String.join("\n", trace);
    }
  }

  private static final String TRACE_MARKER = "=== trace ===\n";

  /** Entry point of the second JVM in {@link #sameSeedSameHistoryInAnotherJvm}: prints the run's trace. */
  public static void main(String[] args) {
    String trace = run(Long.parseLong(args[0]));
    System.out.print(TRACE_MARKER + trace); // logging may print before it
    System.exit(0);
  }

  @Test
  void sameSeedSameHistoryInAnotherJvm() throws Exception {
    // A run in a fresh JVM gives the same history as in this one: nothing depends on per-JVM hashing or
    // identity, so a seed that fails in CI fails the same way on a laptop.
    String here = run(79);
    Process p = new ProcessBuilder(
            java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), DeterminismTest.class.getName(), "79")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor());
    String there = out.substring(out.indexOf(TRACE_MARKER) + TRACE_MARKER.length());
    assertEquals(here, there);
  }

  @Test
  void sameSeedSameHistory() {
    // Two runs with the same seed on an unreliable network produce the same leaders, messages and applied commands.
    String first = run(77);
    assertEquals(first, run(77));
    assertNotEquals(first, run(78), "a different seed should give a different history");
  }
}
