package io.pekkoraft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryReader;
import io.pekkoraft.chaos.runner.ChaosOptions;
import io.pekkoraft.chaos.runner.ChaosRun;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The short chaos run of the test suite: three node processes, all three faults, the counter workload, through
 * the runner's own entry point; it must exit 0 (linearizable, nothing acknowledged lost). The duration and the
 * seed come from the chaos module's properties {@code chaos.test.duration} (seconds, default 45) and
 * {@code chaos.test.seed} (default random; the run prints it and how to replay it). Longer runs: bin/chaos.
 */
class ChaosRunTest {

  @Test
  void aShortRunUnderKillPauseAndPartitionIsLinearizableAndLosesNothing() throws Exception {
    long duration = Long.parseLong(System.getProperty("chaos.test.duration", "45").trim());
    String seedProperty = System.getProperty("chaos.test.seed", "").trim();
    long seed = seedProperty.isEmpty() ? System.nanoTime() : Long.parseLong(seedProperty);
    Path dir = Path.of("target", "chaos-test-" + seed).toAbsolutePath();

    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(new Tee(System.out, captured), true, StandardCharsets.UTF_8);
    int status = ChaosRunner.run(new String[] {
        "--nodes", "3", "--duration", String.valueOf(duration), "--faults", "kill,pause,partition",
        "--seed", String.valueOf(seed), "--clients", "4", "--workload", "counter", "--dir", dir.toString()}, out, System.err);

    String printed = captured.toString(StandardCharsets.UTF_8);
    assertEquals(ChaosRunner.OK, status, "the chaos run failed (seed " + seed + ", logs in " + dir + "):\n" + printed);
    assertTrue(printed.contains("RESULT: OK"), printed);
    for (String fault : new String[] {"nemesis: kill ", "nemesis: pause ", "nemesis: partition "}) {
      assertTrue(printed.contains(fault), "no '" + fault.trim() + "' in the run:\n" + printed);
    }
    List<Event> history = HistoryReader.read(dir.resolve("history.jsonl"));
    assertTrue(history.stream().anyMatch(e -> e.type() == Event.Type.OK && e.f().equals("add")), "no add was acknowledged");
    assertTrue(history.stream().anyMatch(e -> e.type() == Event.Type.OK && e.f().equals("read")), "no read succeeded");
  }

  @Test
  void badFlagsExitWithStatusTwoAndSayWhy() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream out = new PrintStream(OutputStream.nullOutputStream());
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--nodes", "4"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--nodes must be 3 or 5"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--faults", "kill,flood"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown: 'flood'"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--workload", "queue"}, out, errors));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--duration"}, out, errors));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--speed", "9"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown flag --speed"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--sessions", "maybe"}, out, errors));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--lease-margin", "50"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--lease-margin goes with --reads lease"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--reads", "lease", "--lease-margin", "1000"}, out, errors));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--clock-rate", "all=0.8"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--clock-rate goes with --reads lease"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--reads", "lease", "--clock-rate", "node-1=0"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--clock-rate must be 0.1 to 10"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--reads", "lease", "--clock-rate", "leader=0.5"}, out, errors));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--routes", "random"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--routes must be shared or home, not 'random'"));
    assertEquals(ChaosRunner.BAD_FLAGS, ChaosRunner.run(new String[] {"--attempt-timeout", "50"}, out, errors));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--attempt-timeout must be 100 to 10000 ms, not 50"));
  }

  @Test
  void homeRoutesTheAttemptTimeoutAndTheIsolateFaultAreAskedForByNameAndReplayed() throws Exception {
    ChaosOptions defaults = ChaosOptions.parse(new String[] {"--seed", "1"});
    assertEquals(ChaosOptions.Routes.SHARED, defaults.routes());
    assertEquals(java.time.Duration.ofSeconds(2), defaults.attemptTimeout(), "the reference attempt timeout");
    assertTrue(!defaults.faults().contains(ChaosOptions.Fault.ISOLATE), "isolate is asked for by name");
    assertTrue(defaults.clientSettings().endsWith("pekko-raft.session.attempt-timeout = 2000ms"), defaults.clientSettings());

    ChaosOptions options = ChaosOptions.parse(new String[] {"--seed", "7", "--workload", "register", "--faults",
        "pause,isolate", "--reads", "lease", "--lease-margin", "600", "--clock-rate", "node-1=0.5", "--routes", "home",
        "--attempt-timeout", "500"});
    assertEquals(java.util.EnumSet.of(ChaosOptions.Fault.PAUSE, ChaosOptions.Fault.ISOLATE), options.faults());
    assertEquals(ChaosOptions.Routes.HOME, options.routes());
    assertTrue(options.clientSettings().contains("pekko-raft.session.attempt-timeout = 500ms"), options.clientSettings());
    assertTrue(!options.nodeSettings().contains("attempt-timeout"), "the nodes keep the reference attempt timeout");
    assertTrue(options.replayFlags().contains("--faults pause,isolate"), options.replayFlags());
    assertTrue(options.replayFlags().contains("--routes home --attempt-timeout 500"), options.replayFlags());
    assertEquals(options, ChaosOptions.parse(options.replayFlags().split(" ")), "the replay flags give the same run");
  }

  @Test
  void aNodeWhoseClockRunsSlowTimesEveryRaftDurationSlowAndItsLeaseMarginWithThem() {
    com.typesafe.config.Config real = ChaosCluster.node("node-1", 25521, List.of(25521), Map.of("node-1", 25521),
        Path.of("target/unused"), "pekko-raft.read.lease = on\npekko-raft.read.lease-clock-drift-margin = 600ms", 1);
    com.typesafe.config.Config slow = ChaosCluster.node("node-1", 25521, List.of(25521), Map.of("node-1", 25521),
        Path.of("target/unused"), "pekko-raft.read.lease = on\npekko-raft.read.lease-clock-drift-margin = 600ms", 0.5);
    for (String key : ChaosCluster.TIMED_KEYS) {
      String path = "pekko-raft." + key;
      assertEquals(real.getDuration(path).multipliedBy(2), slow.getDuration(path), path + " at half speed lasts twice as long");
    }
    assertEquals(java.time.Duration.ofMillis(2000), slow.getDuration("pekko-raft.election-timeout-min"));
    assertEquals(java.time.Duration.ofMillis(400), slow.getDuration("pekko-raft.heartbeat-interval"));
    assertEquals(java.time.Duration.ofMillis(1200), slow.getDuration("pekko-raft.read.lease-clock-drift-margin"));
    assertEquals(real.getDuration("pekko-raft.session.ttl"), slow.getDuration("pekko-raft.session.ttl"),
        "log time is the leaders' wall clocks, not this node's timers");
    io.pekkoraft.consensus.impl.RaftSettings settings = io.pekkoraft.consensus.impl.RaftSettings.fromConfig(slow);
    assertEquals(java.time.Duration.ofMillis(2000), settings.leadershipTransferTimeout(), "0: election-timeout-min, slowed");
    assertEquals(java.time.Duration.ofMillis(800), settings.electionTimeoutMin().minus(settings.leaseClockDriftMargin()),
        "its lease: (1000 - 600) / 0.5 = 800 ms of real time, within the others' 1000 ms election timeout");
    assertEquals(real, ChaosCluster.atClockRate(real, 1), "the real clock changes nothing");
  }

  @Test
  void clockRatesGoToTheirNodesAndIntoTheReplayFlags() throws Exception {
    ChaosOptions options = ChaosOptions.parse(new String[] {"--seed", "1", "--reads", "lease", "--lease-margin", "0",
        "--clock-rate", "all=0.8,node-2=0.5"});
    assertEquals(0.5, options.clockRate("node-2"));
    assertEquals(0.8, options.clockRate("node-1"), "all");
    assertEquals(1.0, ChaosOptions.parse(new String[] {"--seed", "1"}).clockRate("node-1"), "the real clock by default");
    assertTrue(options.replayFlags().endsWith("--lease-margin 0 --clock-rate all=0.8,node-2=0.5"), options.replayFlags());
    assertEquals(options, ChaosOptions.parse(options.replayFlags().split(" ")), "the replay flags give the same run");
  }

  @Test
  void theRunFailsOnAStaleReadAndOnALostAcknowledgedAdd() throws Exception {
    ChaosOptions options = ChaosOptions.parse(new String[] {"--workload", "counter", "--seed", "1"});
    List<Event> staleRead = List.of(
        Event.invoke(0, "add", null, 1L, 10), new Event(0, Event.Type.OK, "add", null, 1L, 20, null),
        Event.invoke(1, "read", null, null, 30), new Event(1, Event.Type.OK, "read", null, 0L, 40, null),
        Event.invoke(2, "read", null, null, 50), new Event(2, Event.Type.OK, "read", null, 1L, 60, null));
    PrintStream out = new PrintStream(OutputStream.nullOutputStream());
    assertEquals(ChaosRunner.CHECK_FAILED,
        ChaosRunner.check(options, new ChaosRun.Outcome(staleRead, Map.of("", 1L), "none"), out));
    List<Event> lostAdd = List.of(
        Event.invoke(0, "add", null, 1L, 10), new Event(0, Event.Type.OK, "add", null, 1L, 20, null));
    assertEquals(ChaosRunner.CHECK_FAILED,
        ChaosRunner.check(options, new ChaosRun.Outcome(lostAdd, Map.of("", 0L), "none"), out));
    assertEquals(ChaosRunner.OK, ChaosRunner.check(options, new ChaosRun.Outcome(lostAdd, Map.of("", 1L), "none"), out));
  }

  @Test
  void theRunFailsOnAnAddAppliedTwiceAFailedAddAppliedAndAnUnknownAddBeforeItsDeadline() throws Exception {
    ChaosOptions options = ChaosOptions.parse(new String[] {"--workload", "counter", "--seed", "1", "--timeout", "1000"});
    long second = 1_000_000_000L;
    List<Event> history = List.of(
        Event.invoke(0, "add", null, 1L, 10, 1L), new Event(0, Event.Type.OK, "add", null, 1L, 20, null, 1L),
        Event.invoke(1, "add", null, 1L, 30, 2L), new Event(1, Event.Type.FAIL, "add", null, 1L, 40, "NotLeader", 2L),
        Event.invoke(2, "add", null, 1L, 50, 3L),
        new Event(2, Event.Type.INFO, "add", null, 1L, 50 + 2 * second, "Timeout: deadline passed", 3L));
    PrintStream out = new PrintStream(OutputStream.nullOutputStream());
    assertEquals(ChaosRunner.OK, ChaosRunner.check(options,
        new ChaosRun.Outcome(history, Map.of("", 2L), "none", new long[] {1, 3}, ""), out), "the unknown add took effect");
    assertEquals(ChaosRunner.OK, ChaosRunner.check(options,
        new ChaosRun.Outcome(history, Map.of("", 1L), "none", new long[] {1}, ""), out), "the unknown add did not");
    // Within the counter's bounds [1, 2], yet the add of id 1 took effect twice.
    assertEquals(ChaosRunner.CHECK_FAILED, ChaosRunner.check(options,
        new ChaosRun.Outcome(history, Map.of("", 2L), "none", new long[] {1, 1}, ""), out));
    assertEquals(ChaosRunner.CHECK_FAILED, ChaosRunner.check(options,
        new ChaosRun.Outcome(history, Map.of("", 2L), "none", new long[] {1, 2}, ""), out), "a failed add applied");
    assertEquals(ChaosRunner.CHECK_FAILED, ChaosRunner.check(options,
        new ChaosRun.Outcome(history, Map.of("", 1L), "none", new long[] {3}, ""), out), "an acknowledged add lost");

    List<Event> early = List.of(Event.invoke(0, "add", null, 1L, 10, 1L),
        new Event(0, Event.Type.INFO, "add", null, 1L, 10 + second / 2, "NoQuorum: lost the leader", 1L));
    assertEquals(ChaosRunner.CHECK_FAILED, ChaosRunner.check(options,
        new ChaosRun.Outcome(early, Map.of("", 0L), "none", new long[] {}, ""), out),
        "with sessions an outcome-unknown answer before the deadline means the client did not retry");
    ChaosOptions withoutSessions = ChaosOptions.parse(new String[] {"--seed", "1", "--timeout", "1000", "--sessions", "off"});
    assertEquals(ChaosRunner.OK, ChaosRunner.check(withoutSessions,
        new ChaosRun.Outcome(early, Map.of("", 0L), "none", new long[] {}, ""), out), "without sessions it is allowed");
  }

  /** Prints to the console and keeps a copy. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }
}
