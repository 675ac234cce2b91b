package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.benchmarks.EtcdOptions.Target;
import io.pekkoraft.benchmarks.W1Options.HelpRequested;
import io.pekkoraft.benchmarks.W1Options.UsageException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The flags of bin/bench etcd, and the values by which its clients tell a stale read. */
class EtcdOptionsTest {

  @Test
  void defaultsAreTheWorkloadsOneSixteenSixtyFourClientsOnBothTargets() throws Exception {
    EtcdOptions o = EtcdOptions.parse(List.of());
    assertEquals(List.of(1, 16, 64), o.clients());
    assertEquals(5, o.warmupSeconds());
    assertEquals(10, o.measureSeconds());
    assertEquals(256, o.payloadBytes());
    assertEquals(List.of(Target.PEKKO_RAFT, Target.ETCD), o.targets());
  }

  @Test
  void everyFlagIsRead() throws Exception {
    EtcdOptions o = EtcdOptions.parse(List.of("--clients", "16,1", "--warmup=2", "--measure", "5", "--payload", "1024",
        "--target", "etcd,pekko-raft"));
    assertEquals(List.of(16, 1), o.clients());
    assertEquals(2, o.warmupSeconds());
    assertEquals(5, o.measureSeconds());
    assertEquals(1024, o.payloadBytes());
    assertEquals(List.of(Target.ETCD, Target.PEKKO_RAFT), o.targets());
    assertEquals(List.of(Target.PEKKO_RAFT), EtcdOptions.parse(List.of("--target=pekko-raft")).targets());
  }

  @Test
  void badFlagsNameWhatIsWrong() {
    assertMessage("unknown flag --phases", "--phases", "throughput");
    assertMessage("unknown flag --speed", "--speed=1");
    assertMessage("--clients must be between 1 and 4096, got 0", "--clients", "0");
    assertMessage("--clients lists 16 twice", "--clients", "16,16");
    assertMessage("--measure must be between 1 and 3600, got 0", "--measure", "0");
    assertMessage("--payload must be between 32 and 1000000, got 8", "--payload", "8");
    assertMessage("--target takes pekko-raft, etcd (comma-separated), got 'ratis'", "--target", "ratis");
    assertMessage("--target takes pekko-raft, etcd (comma-separated), got ''", "--target", "");
    assertMessage("--target lists etcd twice", "--target", "etcd,etcd");
    assertMessage("--warmup needs a value", "--warmup");
    assertMessage("--warmup given twice", "--warmup", "1", "--warmup", "2");
    assertMessage("unexpected argument 'fast': flags start with --", "fast");
    assertThrows(HelpRequested.class, () -> EtcdOptions.parse(List.of("--clients", "1", "--help")));
  }

  @Test
  void everyPutOfAClientHasItsOwnValueOfThePayloadsSizeAndTheReadBackAcceptsOnlyWhatMayBeThere() {
    // A stale read is detected by value, so values of one client must differ from Put to Put.
    byte[] filler = EtcdLoad.filler(3, 256);
    byte[] first = EtcdLoad.value(3, 7, filler);
    byte[] later = EtcdLoad.value(3, 107, filler);
    assertEquals(256, first.length);
    assertEquals("c3-n7-", new String(first, 0, 6, StandardCharsets.US_ASCII));
    assertEquals(EtcdLoad.key(16, 3, 7), EtcdLoad.key(16, 3, 107));
    assertEquals("k/16/3/7", EtcdLoad.key(16, 3, 7));
    assertFalse(Arrays.equals(first, later));

    EtcdLoad.LastPut last = new EtcdLoad.LastPut("k/16/3/7", first, new ArrayList<>());
    assertTrue(last.matches(first.clone()));
    assertFalse(last.matches(later), "a later Put that failed was not recorded");
    assertFalse(last.matches(null), "the key must exist");
    last.unknownAfter().add(later);
    assertTrue(last.matches(later), "a Put with an unknown outcome may have been applied");
  }

  private static void assertMessage(String expected, String... args) {
    UsageException e = assertThrows(UsageException.class, () -> EtcdOptions.parse(List.of(args)));
    assertEquals(expected, e.getMessage());
  }
}
