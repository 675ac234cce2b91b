package io.pekkoraft.consensus.scenarios;

import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The situation of Figure 8 of the Raft paper, over and over: leaders that append entries and fail
 * before those commit, so that later leaders of other terms must not commit (or must overwrite) them.
 * The lab suite's TestFigure82C and TestFigure8Unreliable2C on real servers.
 */
class Figure8ScenariosTest {

  private static final int ITERATIONS = 3000;

  @Test
  void figure8() {
    // Five members, leaders crashed right after they append (often before the entry reached more than a
    // minority), crashed members restarted when fewer than three are up: the applied sequences never
    // diverge and, once all are back, the five agree.
    long seed = 8;
    try (SimCluster c = SimCluster.start(5, seed)) {
      Random random = new Random(seed);
      c.one("f8-start", 1, true);
      int up = 5;
      for (int iteration = 0; iteration < ITERATIONS; iteration++) {
        List<String> leaders = sortedLeaders(c);
        String leader = null;
        if (!leaders.isEmpty() && random.nextBoolean()) {
          // The simulated network delivers at once; a partition lets the entry reach a minority only.
          String l = leaders.get(leaders.size() - 1);
          Set<String> reach = new HashSet<>(Set.of(l));
          List<String> others = new ArrayList<>(c.members());
          others.remove(l);
          if (random.nextBoolean()) reach.add(others.get(random.nextInt(others.size())));
          Set<String> rest = new HashSet<>(c.members());
          rest.removeAll(reach);
          c.network.partition(reach, rest);
        }
        for (String l : leaders) {
          c.submit(l, "f8-" + iteration + "-" + l);
          leader = l;
        }
        c.settle();
        sleep(c, random, 500);
        c.network.partition(); // no partitions
        if (leader != null && c.isRunning(leader)) {
          c.crash(leader);
          up--;
        }
        if (up < 3) {
          String s = c.members().get(random.nextInt(5));
          if (!c.isRunning(s)) {
            c.restart(s);
            up++;
          }
        }
      }
      for (String m : c.members()) if (!c.isRunning(m)) c.restart(m);
      c.one("f8-final", 5, true);
      c.checker.assertSafe();
    }
  }

  @Test
  void figure8Unreliable() {
    // The same on a network that drops, duplicates and reorders (with long delays after the first fifth),
    // leaders cut off instead of crashed: no divergence, and all five agree once the network heals.
    long seed = 88;
    try (SimCluster c = SimCluster.start(5, seed)) {
      Random random = new Random(seed);
      c.network.setUnreliable(true);
      c.one("f8u-start", 1, true);
      Set<String> isolated = new HashSet<>();
      for (int iteration = 0; iteration < ITERATIONS; iteration++) {
        if (iteration == ITERATIONS / 5) c.network.setFaultRates(0.1, 0.05, 400); // long reordering
        String leader = null;
        for (String l : sortedLeaders(c)) {
          c.submit(l, "f8u-" + iteration + "-" + l);
          if (!isolated.contains(l)) leader = l;
        }
        c.settle();
        sleep(c, random, 500);
        if (leader != null && random.nextInt(1000) < 500) {
          c.network.isolate(leader);
          isolated.add(leader);
        }
        if (c.members().size() - isolated.size() < 3) {
          String s = c.members().get(random.nextInt(5));
          if (isolated.remove(s)) c.network.reconnect(s);
        }
      }
      c.network.heal();
      c.one("f8u-final", 5, true);
      c.checker.assertSafe();
    }
  }

  /** The lab's sleep: mostly 0 to 12 ms, one time in ten up to {@code longMs}. */
  private static void sleep(SimCluster c, Random random, int longMs) {
    int ms = random.nextInt(1000) < 100 ? random.nextInt(longMs) : random.nextInt(13);
    c.advance(Duration.ofMillis(ms));
  }

  /** Running members that believe they lead, in a fixed order (the lab's Start on every server). */
  private static List<String> sortedLeaders(SimCluster c) {
    List<String> leaders = new ArrayList<>(c.leaders());
    leaders.sort(null);
    return leaders;
  }
}
