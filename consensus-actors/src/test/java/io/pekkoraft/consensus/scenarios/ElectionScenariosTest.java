package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Leader election on real servers over a simulated network: the lab suite's election scenarios. */
class ElectionScenariosTest {

  private static final Duration ELECTION_WAIT = Duration.ofSeconds(5);

  @Test
  void initialElection() {
    // Three servers elect exactly one leader, and with no failure the term then stays the same.
    try (SimCluster c = SimCluster.start(3, 1)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      long term = c.term(leader);
      assertTrue(term >= 1, "a leader has a term of at least 1");
      c.advance(Duration.ofSeconds(6));
      assertEquals(term, c.term(c.awaitOneLeader(ELECTION_WAIT)), "term changed although nothing failed");
      assertEquals(1, c.leaders().size());
      c.checker.assertSafe();
    }
  }

  @Test
  void reElectionAfterLeaderLoss() {
    // A new leader is elected when the leader is cut off; the old one steps down when it returns; no
    // leader exists without a quorum, and one is elected again as soon as a quorum is back.
    try (SimCluster c = SimCluster.start(3, 2)) {
      String leader1 = c.awaitOneLeader(ELECTION_WAIT);
      c.network.isolate(leader1);
      String leader2 = c.awaitOneLeader(ELECTION_WAIT);
      assertNotEquals(leader1, leader2);

      c.network.reconnect(leader1);
      String leader3 = c.awaitOneLeader(ELECTION_WAIT);
      c.advance(Duration.ofSeconds(1));
      assertEquals(1, c.leaders().size(), "the old leader stepped down on rejoining");

      c.network.isolate(leader3);
      String other = c.members().stream().filter(m -> !m.equals(leader3)).findFirst().orElseThrow();
      c.network.isolate(other);
      c.advance(Duration.ofSeconds(5));
      assertTrue(c.leaders().isEmpty(), "no leader without a quorum: " + c.leaders());

      c.network.reconnect(other);
      c.awaitOneLeader(ELECTION_WAIT);
      c.network.reconnect(leader3);
      c.awaitOneLeader(ELECTION_WAIT);
      c.checker.assertSafe();
    }
  }

  @Test
  void manyElectionsUnderChurn() {
    // Seven servers, ten rounds of cutting off three random servers: a leader is always elected by the rest.
    try (SimCluster c = SimCluster.start(7, 3)) {
      c.awaitOneLeader(ELECTION_WAIT);
      Random random = new Random(3);
      for (int round = 0; round < 10; round++) {
        List<String> cut = new ArrayList<>(c.members());
        java.util.Collections.shuffle(cut, random);
        cut = cut.subList(0, 3);
        cut.forEach(c.network::isolate);
        c.awaitOneLeader(ELECTION_WAIT);
        cut.forEach(c.network::reconnect);
      }
      c.awaitOneLeader(ELECTION_WAIT);
      c.checker.assertSafe();
    }
  }
}
