package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;

/**
 * The {@code settings} line: every setting that shapes the figures, read from the configuration the
 * members actually run with and from the running JVM, and what of W1 this run could not match.
 */
final class Settings {

  private Settings() {}

  static Map<String, Object> of(W1Options options, BenchCluster cluster, ClientPath clients, Path dataRoot) throws IOException {
    Config c = cluster.memberConfig();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("clients", options.clients());
    s.put("warmup_s", options.warmupSeconds());
    s.put("measure_s", options.measureSeconds());
    s.put("payload_bytes", options.payloadBytes());
    s.put("phases", options.phases().stream().map(W1Options.Phase::flagName).toList());
    if (!options.clientKinds().equals(List.of(W1Options.ClientKind.PEKKO))) {
      s.put("client_kinds", options.clientKinds().stream().map(W1Options.ClientKind::flagName).toList());
    }
    s.put("failover_trials", options.failoverTrials());
    s.put("failover_modes", options.failoverModes().stream().map(W1Options.FailoverMode::flagName).toList());

    s.put("nodes", BenchCluster.NODE_COUNT);
    s.put("election_timeout_min_ms", millis(c, "pekko-raft.election-timeout-min"));
    s.put("election_timeout_max_ms", millis(c, "pekko-raft.election-timeout-max"));
    s.put("heartbeat_interval_ms", millis(c, "pekko-raft.heartbeat-interval"));
    s.put("pre_vote", c.getBoolean("pekko-raft.pre-vote"));
    s.put("check_quorum", c.getBoolean("pekko-raft.check-quorum"));
    if (c.hasPath("pekko-raft.leadership-transfer-timeout")) {
      // 0 means election-timeout-min.
      s.put("leadership_transfer_timeout_ms", millis(c, "pekko-raft.leadership-transfer-timeout"));
    }
    s.put("coordinated_shutdown_phase_timeout_ms", millis(c, "pekko.coordinated-shutdown.default-phase-timeout"));
    s.put("max_entries_per_batch", c.getInt("pekko-raft.replication.batch-entries-max"));
    s.put("max_bytes_per_batch", c.getBytes("pekko-raft.replication.batch-bytes-max"));
    s.put("replication_window", c.getInt("pekko-raft.replication.window"));
    s.put("max_pending", c.getInt("pekko-raft.client.pending-max"));
    s.put("max_request_bytes", c.getBytes("pekko-raft.client.request-bytes-max"));
    s.put("ask_timeout_ms", millis(c, "pekko-raft.client.ask-timeout"));
    s.put("sessions", c.getBoolean("pekko-raft.session.enabled"));
    s.put("session_ttl_ms", millis(c, "pekko-raft.session.ttl"));
    s.put("session_attempt_timeout_ms", millis(c, "pekko-raft.session.attempt-timeout"));
    s.put("read_lease", c.getBoolean("pekko-raft.read.lease"));
    s.put("read_lease_clock_drift_margin_ms", millis(c, "pekko-raft.read.lease-clock-drift-margin"));
    s.put("failover_ask_timeout_ms", FailoverPhase.FAILOVER_ASK_TIMEOUT.toMillis());
    s.put("failover_retry_pause_ms", FailoverPhase.RETRY_PAUSE.toMillis());
    s.put("failover_writes_before", FailoverPhase.WRITES_BEFORE);

    String journal = c.getString("pekko-raft.journal-plugin-id");
    s.put("journal_plugin_id", journal);
    if (!journal.isEmpty() && c.hasPath(journal + ".class")) {
      s.put("journal_class", c.getString(journal + ".class"));
      if (c.hasPath(journal + ".fsync")) s.put("journal_fsync", c.getBoolean(journal + ".fsync"));
      if (c.hasPath(journal + ".batch-bytes-max")) s.put("journal_batch_bytes_max", c.getBytes(journal + ".batch-bytes-max"));
      if (c.hasPath(journal + ".segment-size")) s.put("journal_segment_size", c.getBytes(journal + ".segment-size"));
      if (c.hasPath(journal + ".pending-writes-max")) s.put("journal_pending_writes_max", c.getInt(journal + ".pending-writes-max"));
      s.put("journal_plugin_dispatcher", c.getString(journal + ".plugin-dispatcher"));
    }
    s.put("snapshots", "never: the register does not override StateMachine.snapshot");
    s.put("snapshot_every_entries", c.getInt("pekko-raft.snapshot.every-entries"));
    s.put("snapshot_every_time_ms", millis(c, "pekko-raft.snapshot.every-time"));

    s.put("transport", "Artery " + c.getString("pekko.remote.artery.transport") + " on "
        + c.getString("pekko.remote.artery.canonical.hostname"));
    s.put("artery_maximum_frame_size", c.getBytes("pekko.remote.artery.advanced.maximum-frame-size"));
    s.put("artery_inbound_lanes", c.getInt("pekko.remote.artery.advanced.inbound-lanes"));
    s.put("artery_dispatcher", c.getString("pekko.remote.artery.advanced.use-dispatcher"));
    s.put("tcp_worker_dispatcher", c.getString("pekko.io.tcp.worker-dispatcher"));
    s.put("internal_dispatcher", c.getValue("pekko.actor.internal-dispatcher").unwrapped());
    s.put("pekko_settings_from", "pekko-raft-node.conf (frame size, inbound lanes, one thread pool), included by"
        + " bench.conf as the README asks of every node");
    s.put("default_dispatcher", dispatcher(c));
    s.put("client_path", clients.description());
    s.put("client_threads", "one platform thread per client, blocking on each reply");
    Register.Add sample = Register.command(0, options.payloadBytes());
    s.put("command", "Register.Add, a record holding the payload byte[], registered with Kryo (id 1200)");
    s.put("command_serialized_bytes", RaftSerialization.get(cluster.clientSystem()).codec().toBytes(sample).length);
    s.put("filler", "bytes 8.. = new Random(clientId * 7919 + 1).nextBytes(new byte[payload - 8]), clientId 0..C-1 per client count");

    FileStore store = machine(s, dataRoot);
    s.put("deviations", deviations(options, store));
    return s;
  }

  /**
   * The data directory's file system and the machine and JVM the run had, added to {@code s}; the same for
   * every peer run with this harness. Returns the data directory's file store.
   */
  static FileStore machine(Map<String, Object> s, Path dataRoot) throws IOException {
    s.put("data_root", dataRoot.toString());
    FileStore store = Files.getFileStore(dataRoot);
    s.put("data_filesystem", store.type() + " " + store.name());

    Runtime runtime = Runtime.getRuntime();
    s.put("cores", runtime.availableProcessors());
    s.put("jvm_flags", ManagementFactory.getRuntimeMXBean().getInputArguments());
    s.put("max_heap_bytes", runtime.maxMemory());
    // Below 2 the JDK runs every CompletableFuture *Async callback without an executor on a new thread.
    s.put("common_pool_parallelism", ForkJoinPool.getCommonPoolParallelism());
    s.put("gc", ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList());
    s.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    s.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    String commit = System.getProperty("bench.commit", "");
    if (!commit.isEmpty()) s.put("commit", commit);
    return store;
  }

  /** Where this run differs from W1 as written. */
  private static List<String> deviations(W1Options options, FileStore store) {
    List<String> d = new ArrayList<>();
    d.add("ports: each ActorSystem binds a port picked free just before it starts, not port 0 read back,"
        + " because pekko-raft.members must list every member's address before any member starts");
    if (!options.clientKinds().contains(W1Options.ClientKind.GRPC)) {
      d.add("grpc gateway variant: not run (--client grpc runs it)");
    } else if (options.phases().contains(W1Options.Phase.FAILOVER)) {
      d.add("grpc gateway variant: throughput phase only; the failover phase uses the Pekko client");
    }
    if (store.type().equalsIgnoreCase("tmpfs")) d.add("data directory is on tmpfs, not a real disk");
    return d;
  }

  private static Map<String, Object> dispatcher(Config c) {
    Map<String, Object> d = new LinkedHashMap<>();
    String path = "pekko.actor.default-dispatcher";
    d.put("executor", c.getString(path + ".executor"));
    d.put("parallelism_min", c.getInt(path + ".fork-join-executor.parallelism-min"));
    d.put("parallelism_factor", c.getDouble(path + ".fork-join-executor.parallelism-factor"));
    d.put("parallelism_max", c.getInt(path + ".fork-join-executor.parallelism-max"));
    d.put("throughput", c.getInt(path + ".throughput"));
    return d;
  }

  private static long millis(Config c, String key) {
    return c.getDuration(key).toMillis();
  }
}
