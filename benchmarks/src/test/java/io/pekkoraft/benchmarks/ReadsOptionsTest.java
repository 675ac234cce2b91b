package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.ReadConsistency;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadsOptionsTest {

  @Test
  void defaultsMeasureEveryConsistencyAtOneAndSixtyFourClientsWithLeasesOn() throws Exception {
    Reads.Options o = Reads.Options.parse(List.of());
    assertEquals(List.of(1, 64), o.clients());
    assertEquals(List.of(ReadConsistency.LINEARIZABLE, ReadConsistency.LEASE, ReadConsistency.FOLLOWER,
        ReadConsistency.STALE), o.consistencies());
    assertEquals(List.of(Reads.Via.CLIENT, Reads.Via.FOLLOWER), o.via());
    assertTrue(o.lease());
    assertTrue(o.sessions());
    assertTrue(o.nodeConfig().getBoolean("pekko-raft.read.lease"));
  }

  @Test
  void everyFlagIsRead() throws Exception {
    Reads.Options o = Reads.Options.parse(List.of("--clients", "4", "--consistency", "stale,lease", "--via=follower",
        "--warmup", "0", "--measure", "2", "--lease", "off", "--sessions", "off", "--writes-before", "0"));
    assertEquals(List.of(4), o.clients());
    assertEquals(List.of(ReadConsistency.STALE, ReadConsistency.LEASE), o.consistencies());
    assertEquals(List.of(Reads.Via.FOLLOWER), o.via());
    assertEquals(0, o.warmupSeconds());
    assertEquals(2, o.measureSeconds());
    assertFalse(o.lease());
    assertFalse(o.sessions());
    assertEquals(0, o.writesBefore());
    assertFalse(o.nodeConfig().getBoolean("pekko-raft.session.enabled"));
  }

  @Test
  void badFlagsNameWhatIsWrong() {
    assertEquals("--consistency takes linearizable, stale, lease, follower (comma-separated), got 'fast'",
        assertThrows(W1Options.UsageException.class, () -> Reads.Options.parse(List.of("--consistency", "fast"))).getMessage());
    assertEquals("unknown flag --speed",
        assertThrows(W1Options.UsageException.class, () -> Reads.Options.parse(List.of("--speed", "1"))).getMessage());
    assertEquals("--lease takes on or off, got '1'",
        assertThrows(W1Options.UsageException.class, () -> Reads.Options.parse(List.of("--lease", "1"))).getMessage());
  }
}
