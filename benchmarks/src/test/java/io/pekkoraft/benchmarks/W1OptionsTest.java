package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.benchmarks.W1Options.ClientKind;
import io.pekkoraft.benchmarks.W1Options.FailoverMode;
import io.pekkoraft.benchmarks.W1Options.Phase;
import io.pekkoraft.benchmarks.W1Options.UsageException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class W1OptionsTest {

  @Test
  void defaultsAreWhatW1Prescribes() throws Exception {
    W1Options o = W1Options.parse(List.of());
    assertEquals(List.of(1, 16, 64), o.clients());
    assertEquals(5, o.warmupSeconds());
    assertEquals(10, o.measureSeconds());
    assertEquals(256, o.payloadBytes());
    assertEquals(5, o.failoverTrials());
    assertEquals(List.of(FailoverMode.STOP), o.failoverModes());
    assertEquals(List.of(Phase.THROUGHPUT, Phase.FAILOVER), o.phases());
    assertTrue(o.sessions());
    assertEquals(List.of(ClientKind.PEKKO), o.clientKinds());
  }

  @Test
  void everyFlagIsRead() throws Exception {
    W1Options o = W1Options.parse(List.of("--clients", "64,1", "--warmup=0", "--measure", "3", "--payload", "1024",
        "--failover-trials", "2", "--failover-mode", "crash,stop", "--phases", "failover", "--sessions", "off",
        "--client", "grpc,pekko"));
    assertEquals(List.of(64, 1), o.clients());
    assertEquals(0, o.warmupSeconds());
    assertEquals(3, o.measureSeconds());
    assertEquals(1024, o.payloadBytes());
    assertEquals(2, o.failoverTrials());
    assertEquals(List.of(FailoverMode.CRASH, FailoverMode.STOP), o.failoverModes());
    assertEquals(List.of(Phase.FAILOVER), o.phases());
    assertFalse(o.sessions());
    assertFalse(o.nodeConfig().getBoolean("pekko-raft.session.enabled"));
    assertEquals(List.of(ClientKind.GRPC, ClientKind.PEKKO), o.clientKinds());
  }

  @Test
  void theGrpcClientsLinesSayGrpcFirstAndThePekkoClientsLinesKeepW1sShape() throws Exception {
    assertEquals(List.of(ClientKind.GRPC), W1Options.parse(List.of("--client=grpc")).clientKinds());
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("clients", 16);
    fields.put("ops", 100);
    assertEquals(List.of("client", "clients", "ops"), List.copyOf(W1.tagged(ClientKind.GRPC, fields).keySet()));
    assertEquals("grpc", W1.tagged(ClientKind.GRPC, fields).get("client"));
    assertEquals(List.of("clients", "ops"), List.copyOf(W1.tagged(ClientKind.PEKKO, fields).keySet()));
  }

  @Test
  void badFlagsNameWhatIsWrong() {
    assertMessage("unknown flag --speed", "--speed", "1");
    assertMessage("unknown flag --speed", "--speed");
    assertMessage("unknown flag --speed", "--speed=1");
    assertMessage("--clients must be a whole number, got 'x'", "--clients", "1,x");
    assertMessage("--clients must be between 1 and 4096, got 0", "--clients", "0");
    assertMessage("--clients lists 16 twice", "--clients", "16,16");
    assertMessage("--measure must be between 1 and 3600, got 0", "--measure", "0");
    assertMessage("--payload must be between 8 and 1048000, got 7", "--payload", "7");
    assertMessage("--failover-mode takes stop, crash (comma-separated), got 'kill'", "--failover-mode", "kill");
    assertMessage("--phases takes throughput, failover (comma-separated), got ''", "--phases", "");
    assertMessage("--sessions takes on or off, got 'yes'", "--sessions", "yes");
    assertMessage("--client takes pekko, grpc (comma-separated), got 'http'", "--client", "http");
    assertMessage("--client lists grpc twice", "--client", "grpc,grpc");
    assertMessage("--warmup needs a value", "--warmup");
    assertMessage("--warmup given twice", "--warmup", "1", "--warmup", "2");
    assertMessage("unexpected argument 'fast': flags start with --", "fast");
  }

  @Test
  void helpIsNotAnError() {
    assertThrows(W1Options.HelpRequested.class, () -> W1Options.parse(List.of("--help")));
  }

  @Test
  void aBadCommandLineExitsWithTwoBeforeStartingAnything() {
    assertEquals(2, Bench.run(List.of("w1", "--clients", "abc")));
    assertEquals(2, Bench.run(List.of("w2")));
    assertEquals(2, Bench.run(List.of()));
    assertEquals(0, Bench.run(List.of("w1", "--help")));
  }

  private static void assertMessage(String expected, String... args) {
    UsageException e = assertThrows(UsageException.class, () -> W1Options.parse(List.of(args)));
    assertEquals(expected, e.getMessage());
    assertTrue(W1Options.USAGE.contains("--clients"));
  }
}
