package io.pekkoraft.benchmarks;

import com.alipay.sofa.jraft.option.CliOptions;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import io.pekkoraft.benchmarks.W1Options.ClientKind;
import io.pekkoraft.benchmarks.W1Options.Phase;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Workload W1's throughput phase on SOFAJRaft, to compare with Pekko Raft on the same machine: {@code bin/bench
 * w1 --peer sofajraft [flags]}. The same flags, clients ({@link ThroughputPhase}: one thread and one client object
 * per client, closed loop), command ({@link Register#command}), statistics and output lines as W1 on Pekko Raft,
 * with {@code "peer":"sofajraft"} and SOFAJRaft's version; the cluster is {@link SofaJRaftCluster}, the clients
 * {@link SofaJRaftClientPath}. The failover phase is not run on this peer.
 *
 * <p>This module's classes share the package of the benchmarks module to use its harness as it is.
 */
public final class SofaJRaftW1 {

  /** How long the members may take to apply what was acknowledged, before the consistency check reads. */
  private static final Duration CATCH_UP = Duration.ofSeconds(10);
  static final String PEER = "sofajraft";
  static final String VERSION = loadVersion();

  private SofaJRaftW1() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args)));
  }

  /** Exit codes as {@code bin/bench w1}: 0 when every check held, 1 when one failed or the run broke, 2 for a bad command line. */
  static int run(List<String> args) {
    W1Options options;
    try {
      options = W1Options.parse(args);
      if (options.clientKinds().contains(ClientKind.GRPC)) {
        throw new W1Options.UsageException("--client grpc: SOFAJRaft has no gRPC gateway; its clients are its own RPC clients");
      }
    } catch (W1Options.HelpRequested help) {
      System.out.print(W1Options.USAGE);
      System.out.println("  with --peer sofajraft: the throughput phase only; --client pekko means SOFAJRaft's own client,"
          + " and --sessions, --failover-* have no effect");
      return 0;
    } catch (W1Options.UsageException e) {
      System.err.println("bench w1 --peer sofajraft: " + e.getMessage());
      System.err.print(W1Options.USAGE);
      return 2;
    }
    Output.peer(PEER, VERSION);
    Output.capture();
    try {
      boolean ok = runW1(options);
      if (!ok) Output.comment("FAILED: a check did not hold (see the consistency line)");
      return ok ? 0 : 1;
    } catch (Exception e) {
      Output.comment("FAILED: " + e);
      System.err.println("bench w1 --peer sofajraft failed with arguments " + String.join(" ", args));
      e.printStackTrace();
      return 1;
    }
  }

  private static boolean runW1(W1Options options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "sofajraft-w1-");
    try {
      boolean ok = true;
      if (options.phases().contains(Phase.THROUGHPUT)) ok = throughput(options, root.resolve("throughput"), root);
      if (options.phases().contains(Phase.FAILOVER)) {
        Output.comment("failover: not run on sofajraft (W1's failover phase is run on Pekko Raft only)");
      }
      return ok;
    } finally {
      if (Boolean.getBoolean(W1.KEEP_DATA_PROPERTY)) Output.comment("data kept in " + root + " (-D" + W1.KEEP_DATA_PROPERTY + "=true)");
      else W1.deleteRecursively(root);
    }
  }

  private static boolean throughput(W1Options options, Path dataDir, Path dataRoot) throws Exception {
    try (SofaJRaftCluster cluster = SofaJRaftCluster.start(dataDir)) {
      SofaJRaftClientPath path = new SofaJRaftClientPath(SofaJRaftCluster.GROUP_ID, cluster.conf());
      Output.result("settings", settings(options, cluster, path, dataRoot));
      long firstLeader = cluster.awaitFirstLeaderNanos(BenchCluster.STEP_TIMEOUT);
      Output.result("first_leader", Map.of("ms", ThroughputPhase.millis(firstLeader - cluster.buildStartedNanos())));
      Output.comment("first leader: " + cluster.leader().id() + ", from the creation of the first member's RPC server");

      long acknowledged = 0;
      long unknown = 0;
      for (int clients : options.clients()) {
        Output.comment("throughput (sofajraft clients): " + clients + " clients, " + options.warmupSeconds()
            + " s warm-up, " + options.measureSeconds() + " s measured");
        long cpuBefore = W1.processCpuNanos();
        ThroughputPhase.Result result = ThroughputPhase.run(path, clients, options);
        long cpuNanos = W1.processCpuNanos() - cpuBefore;
        Output.result("throughput", result.fields());
        Map<String, Object> writePath = new LinkedHashMap<>();
        writePath.put("clients", clients);
        writePath.put("acked_ops", result.acknowledged());
        if (cpuNanos >= 0 && result.acknowledged() > 0) {
          writePath.put("cpu_us_per_op", Math.round(cpuNanos / 100.0 / result.acknowledged()) / 10.0);
        }
        Output.result("write_path", writePath);
        acknowledged += result.acknowledged();
        unknown += result.unknownOutcome();
      }
      return consistency(cluster, acknowledged, unknown);
    }
  }

  /**
   * Every member's register must equal the acknowledged ops, warm-up included; a request whose outcome is
   * unknown (a timeout, a lost connection, a member that did not lead) may or may not have been applied, so
   * with any of them the register may exceed the acknowledged count by at most their number.
   */
  private static boolean consistency(SofaJRaftCluster cluster, long acknowledged, long unknown) throws InterruptedException {
    List<Long> applied = List.copyOf(cluster.registersReaching(acknowledged, CATCH_UP).values());
    boolean ok = applied.stream().allMatch(v -> v >= acknowledged && v <= acknowledged + unknown)
        && applied.stream().distinct().count() == 1;
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("acked_ops", acknowledged);
    fields.put("applied", applied);
    if (unknown > 0) fields.put("unknown_outcome_ops", unknown);
    fields.put("ok", ok);
    Output.result("consistency", fields);
    return ok;
  }

  /** Every setting that shapes the figures, read from the options the members run with, and the deviations from W1. */
  private static Map<String, Object> settings(W1Options options, SofaJRaftCluster cluster, SofaJRaftClientPath path,
      Path dataRoot) throws IOException {
    NodeOptions n = cluster.nodeOptions();
    RaftOptions r = n.getRaftOptions();
    CliOptions cli = new CliOptions();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("clients", options.clients());
    s.put("warmup_s", options.warmupSeconds());
    s.put("measure_s", options.measureSeconds());
    s.put("payload_bytes", options.payloadBytes());
    s.put("phases", List.of("throughput"));

    s.put("nodes", SofaJRaftCluster.NODE_COUNT);
    s.put("election_timeout_ms", n.getElectionTimeoutMs());
    s.put("max_election_delay_ms", r.getMaxElectionDelayMs());
    s.put("election_heartbeat_factor", r.getElectionHeartbeatFactor());
    s.put("heartbeat_interval_ms", n.getElectionTimeoutMs() / r.getElectionHeartbeatFactor());
    s.put("leader_lease_time_ratio", n.getLeaderLeaseTimeRatio());
    s.put("step_down_when_vote_timedout", r.isStepDownWhenVoteTimedout());
    s.put("fsync", r.isSync());
    s.put("fsync_meta", r.isSyncMeta());
    s.put("log_storage", n.getServiceFactory().getClass().getName() + " (RocksDB log under log_uri)");
    s.put("log_entry_checksum", r.isEnableLogEntryChecksum());
    s.put("snapshots", "never: no snapshot URI is set");
    s.put("snapshot_uri", n.getSnapshotUri());
    s.put("snapshot_interval_s", n.getSnapshotIntervalSecs());
    s.put("max_entries_per_batch", r.getMaxEntriesSize());
    s.put("max_body_bytes_per_batch", r.getMaxBodySize());
    s.put("max_append_buffer_bytes", r.getMaxAppendBufferSize());
    s.put("max_byte_count_per_rpc", r.getMaxByteCountPerRpc());
    s.put("replicator_pipeline", r.isReplicatorPipeline());
    s.put("max_replicator_inflight_msgs", r.getMaxReplicatorInflightMsgs());
    s.put("apply_batch", r.getApplyBatch());
    s.put("apply_task_mode", String.valueOf(n.getApplyTaskMode()));
    s.put("disruptor_buffer_size", r.getDisruptorBufferSize());
    s.put("max_logs_in_memory_bytes", r.getMaxLogsInMemoryBytes());
    s.put("read_only_option", String.valueOf(r.getReadOnlyOptions()));
    s.put("raft_rpc_thread_pool_size", n.getRaftRpcThreadPoolSize());
    s.put("cli_rpc_thread_pool_size", n.getCliRpcThreadPoolSize());
    s.put("timer_pool_size", n.getTimerPoolSize());
    s.put("shared_timer_pool", n.isSharedTimerPool());
    s.put("metrics", n.isEnableMetrics());
    s.put("transport", "SOFAJRaft's RPC (Bolt on Netty), TCP on 127.0.0.1, one RPC server per member");

    s.put("client_path", path.description());
    s.put("client_threads", "one platform thread per client, blocking on each reply");
    s.put("client_request_timeout_ms", SofaJRaftClientPath.REQUEST_TIMEOUT_MS);
    s.put("client_rpc_connect_timeout_ms", cli.getRpcConnectTimeoutMs());
    s.put("command", "AddRequest (Serializable, Hessian over Bolt) holding the payload byte[]; the entry is the payload");
    s.put("filler", "bytes 8.. = new Random(clientId * 7919 + 1).nextBytes(new byte[payload - 8]), clientId 0..C-1 per client count");

    FileStore store = Settings.machine(s, dataRoot);
    List<String> d = new ArrayList<>();
    d.add("ports: each member binds a port picked free just before the members start, not port 0 read back,"
        + " because the initial configuration must list every member's address first");
    d.add("transport and client path: SOFAJRaft's own RPC (Bolt), not Pekko Artery; the clients are SOFAJRaft RPC"
        + " clients in this JVM, not a fourth ActorSystem");
    d.add("sessions: SOFAJRaft has no client sessions (--sessions has no effect)");
    d.add("failover: not run on this peer");
    d.add("grpc gateway variant: none on this peer");
    if (store.type().equalsIgnoreCase("tmpfs")) d.add("data directory is on tmpfs, not a real disk");
    s.put("deviations", d);
    return s;
  }

  private static String loadVersion() {
    try (InputStream in = SofaJRaftW1.class.getResourceAsStream("/sofajraft-bench.properties")) {
      if (in == null) throw new IllegalStateException("sofajraft-bench.properties is missing from the class path");
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("sofajraft.version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
