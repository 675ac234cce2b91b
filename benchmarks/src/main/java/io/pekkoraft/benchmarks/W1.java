package io.pekkoraft.benchmarks;

import io.pekkoraft.benchmarks.W1Options.ClientKind;
import io.pekkoraft.benchmarks.W1Options.FailoverMode;
import io.pekkoraft.benchmarks.W1Options.Phase;
import io.pekkoraft.testkit.TestNetwork;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Workload W1 (see benchmarks/README.md): the throughput phase (client counts one after another on one
 * cluster, then the consistency check) and the failover phase (trials on fresh clusters), in the order of
 * {@code --phases}. Every data directory lives under one fresh temporary directory, deleted at the end.
 *
 * <p>The throughput phase runs once per {@code --client}, one after the other on the same cluster: the Pekko
 * clients' lines keep W1's shape; the gRPC clients' lines (settings, throughput, write_path, consistency) carry
 * {@code "client":"grpc"} first.
 */
final class W1 {

  /** How long the members may take to apply what was acknowledged, before the consistency check reads. */
  private static final Duration CATCH_UP = Duration.ofSeconds(10);
  /** Set to true to keep the journals after the run, to inspect them (the throughput phase's, at least). */
  static final String KEEP_DATA_PROPERTY = "bench.keep-data";

  private final W1Options options;
  private final Path dataRoot;
  private boolean settingsPrinted;

  private W1(W1Options options, Path dataRoot) {
    this.options = options;
    this.dataRoot = dataRoot;
  }

  /** Runs W1; true when every check held. */
  static boolean run(W1Options options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pekko-raft-w1-");
    try {
      W1 w1 = new W1(options, root);
      boolean ok = true;
      for (Phase phase : options.phases()) {
        ok &= switch (phase) {
          case THROUGHPUT -> w1.throughput();
          case FAILOVER -> w1.failover();
        };
      }
      return ok;
    } finally {
      if (Boolean.getBoolean(KEEP_DATA_PROPERTY)) Output.comment("data kept in " + root + " (-D" + KEEP_DATA_PROPERTY + "=true)");
      else deleteRecursively(root);
    }
  }

  private boolean throughput() throws Exception {
    boolean grpc = options.clientKinds().contains(ClientKind.GRPC);
    try (BenchCluster cluster = BenchCluster.start(dataRoot.resolve("throughput"), new TestNetwork(),
        options.nodeConfig(), grpc)) {
      if (options.clientKinds().contains(ClientKind.PEKKO)) printSettingsOnce(cluster);
      RoleWatch.Seen first = cluster.roles().awaitLeader(BenchCluster.STEP_TIMEOUT);
      Output.result("first_leader", Map.of("ms", ThroughputPhase.millis(first.atNanos() - cluster.buildStartedNanos())));
      Output.comment("the four ActorSystems were Up in the Pekko Cluster "
          + ThroughputPhase.millis(cluster.clusterUpNanos() - cluster.buildStartedNanos()) + " ms after the build started; the first"
          + " leader (" + first.change().memberId() + ", term " + first.change().term() + ") "
          + ThroughputPhase.millis(first.atNanos() - cluster.clusterUpNanos()) + " ms after that");

      // Acknowledged ops and outcome-unknown failures on this cluster so far, every client kind's included.
      long acknowledged = 0;
      long unknown = 0;
      boolean ok = true;
      for (ClientKind kind : options.clientKinds()) {
        ClientPath path = switch (kind) {
          case PEKKO -> new RaftClientPath(cluster.clientSystem());
          case GRPC -> grpcPath(cluster);
        };
        for (int clients : options.clients()) {
          Output.comment("throughput (" + kind.flagName() + " clients): " + clients + " clients, "
              + options.warmupSeconds() + " s warm-up, " + options.measureSeconds() + " s measured");
          TestNetwork.Counts before = cluster.traffic();
          long cpuBefore = processCpuNanos();
          ThroughputPhase.Result result = ThroughputPhase.run(path, clients, options);
          long cpuNanos = processCpuNanos() - cpuBefore;
          Output.result("throughput", tagged(kind, result.fields()));
          writePath(kind, clients, result, cluster.traffic().minus(before), cpuNanos);
          acknowledged += result.acknowledged();
          unknown += result.unknownOutcome();
        }
        ok &= consistency(kind, cluster, acknowledged, unknown);
      }
      return ok;
    }
  }

  /**
   * The gRPC clients, to the gateway of the leader of the highest term seen, and their settings line: W1's
   * settings as for the Pekko clients, with this client path and what the gRPC variant adds.
   */
  private GrpcClientPath grpcPath(BenchCluster cluster) throws IOException {
    String leader = cluster.roles().latestLeader().change().memberId();
    GrpcClientPath path = new GrpcClientPath(cluster.clientSystem(), leader, cluster.gatewayPort(leader),
        options.sessions());
    Map<String, Object> fields = Settings.of(options, cluster, path, dataRoot);
    fields.putAll(path.settings(options.payloadBytes()));
    Output.result("settings", tagged(ClientKind.GRPC, fields));
    return path;
  }

  /**
   * A line of {@code kind}'s clients: the Pekko clients' lines as W1 has them; the gRPC clients' with
   * {@code "client":"grpc"} before their fields.
   */
  static Map<String, Object> tagged(ClientKind kind, Map<String, Object> fields) {
    if (kind == ClientKind.PEKKO) return fields;
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("client", kind.flagName());
    line.putAll(fields);
    return line;
  }

  /**
   * Not part of W1's comparison: how the write path batched during this client count (warm-up included),
   * from what the members' transports sent.
   */
  private static void writePath(ClientKind kind, int clients, ThroughputPhase.Result result,
      TestNetwork.Counts traffic, long cpuNanos) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("clients", clients);
    fields.put("acked_ops", result.acknowledged());
    fields.put("append_entries_sent", traffic.appendEntries());
    fields.put("entries_sent", traffic.entries());
    fields.put("entries_per_append_entries",
        traffic.appendEntries() == 0 ? 0 : ThroughputPhase.round((double) traffic.entries() / traffic.appendEntries(), 2));
    fields.put("heartbeats_sent", traffic.heartbeats());
    if (cpuNanos >= 0 && result.acknowledged() > 0) {
      fields.put("cpu_us_per_op", Math.round(cpuNanos / 100.0 / result.acknowledged()) / 10.0);
    }
    Output.result("write_path", tagged(kind, fields));
  }

  /**
   * CPU time of this whole process (servers, client, JIT and GC): per acknowledged op it shows what the
   * write path costs, even on a machine busy with other work, where throughput alone says little. -1 when
   * the JVM does not report it.
   */
  static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : -1;
  }

  /**
   * Every member's register must equal the acknowledged ops, warm-up included. A request whose outcome is
   * unknown (a timeout) may or may not have been applied: with any of them, the register may exceed the
   * acknowledged count by at most their number, and the line says how many there were. After each client
   * kind: {@code acknowledged} counts every op acknowledged on this cluster so far, earlier kinds' included.
   */
  private static boolean consistency(ClientKind kind, BenchCluster cluster, long acknowledged, long unknown)
      throws Exception {
    Map<String, Long> registers = cluster.registersReaching(acknowledged, CATCH_UP);
    List<Long> applied = List.copyOf(registers.values());
    boolean ok = applied.stream().allMatch(v -> v >= acknowledged && v <= acknowledged + unknown)
        && applied.stream().distinct().count() == 1;
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("acked_ops", acknowledged);
    fields.put("applied", applied);
    if (unknown > 0) fields.put("unknown_outcome_ops", unknown);
    fields.put("ok", ok);
    Output.result("consistency", tagged(kind, fields));
    return ok;
  }

  private boolean failover() throws Exception {
    if (!options.clientKinds().contains(ClientKind.PEKKO)) {
      Output.comment("failover: through the Pekko client (RaftClient); the gRPC variant runs the throughput phase only");
    }
    for (FailoverMode mode : options.failoverModes()) {
      List<Double> trials = new ArrayList<>();
      List<Double> newLeaders = new ArrayList<>();
      int handedOver = 0;
      int ackedByOldLeader = 0;
      for (int i = 1; i <= options.failoverTrials(); i++) {
        Path dir = dataRoot.resolve("failover-" + mode.flagName() + "-" + i);
        Output.comment("failover " + mode.flagName() + ": trial " + i + " of " + options.failoverTrials());
        FailoverPhase.Trial trial = FailoverPhase.trial(mode, dir, options, this::printSettingsOnce);
        if (!Boolean.getBoolean(KEEP_DATA_PROPERTY)) deleteRecursively(dir);
        Output.result("failover_trial", trial.fields());
        trials.add(trial.failoverMs());
        newLeaders.add(trial.newLeaderMs());
        if (trial.handedOver()) handedOver++;
        if (trial.failoverMs() < trial.newLeaderMs()) ackedByOldLeader++;
      }
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("mode", mode.flagName());
      fields.put("median_ms", FailoverPhase.median(trials));
      fields.put("trials_ms", trials);
      fields.put("handed_over_trials", handedOver);
      fields.put("hands_over", handedOver == trials.size());
      fields.put("new_leader_median_ms", FailoverPhase.median(newLeaders));
      fields.put("acked_by_old_leader_trials", ackedByOldLeader);
      Output.result("failover", fields);
      if (ackedByOldLeader > 0) {
        Output.comment(ackedByOldLeader + " of " + trials.size() + " " + mode.flagName() + " trials: the write was"
            + " acknowledged by the departing leader before its node went, so failover_ms does not include an election;"
            + " a new leader appeared after a median of " + FailoverPhase.median(newLeaders) + " ms");
      }
    }
    return true;
  }

  private void printSettingsOnce(BenchCluster cluster) throws IOException {
    if (settingsPrinted) return;
    settingsPrinted = true;
    Output.result("settings", Settings.of(options, cluster, new RaftClientPath(cluster.clientSystem()), dataRoot));
  }

  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
