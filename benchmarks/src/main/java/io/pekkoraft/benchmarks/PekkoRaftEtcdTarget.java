package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.etcd.PekkoRaftEtcd;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Our side of {@code bin/bench etcd}: three members in this JVM as in W1 ({@link LocalCluster} with
 * bench.conf: each its own ActorSystem, Artery TCP on 127.0.0.1, its own durable journal under
 * {@code dataDir} with fsync, every {@code pekko-raft} setting at its default), each running the etcd group
 * ({@link PekkoRaftEtcd}) and serving the etcd API from its gRPC gateway on a free port of 127.0.0.1.
 */
final class PekkoRaftEtcdTarget implements EtcdTarget {

  private final LocalCluster cluster;
  private final List<String> endpoints = new ArrayList<>();
  private final String leader;

  private PekkoRaftEtcdTarget(LocalCluster cluster) {
    this.cluster = cluster;
    try {
      for (String member : cluster.memberIds()) {
        var system = cluster.system(member);
        PekkoRaftEtcd.get(system).start();
        int port = PekkoRaftGateway.get(system).start().toCompletableFuture()
            .get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).localAddress().getPort();
        endpoints.add("http://127.0.0.1:" + port);
      }
      String group = PekkoRaftEtcd.get(cluster.system(cluster.memberIds().get(0))).settings().group();
      leader = cluster.awaitLeader(group, 0, BenchCluster.STEP_TIMEOUT).memberId();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cluster.close();
      throw new IllegalStateException("interrupted while the members' gateways started", e);
    } catch (Exception | Error e) {
      cluster.close();
      throw new IllegalStateException("the etcd API of the three members did not start: " + e, e);
    }
  }

  /** Starts the three members, their etcd groups and gateways, and waits for the etcd group's first leader. */
  static PekkoRaftEtcdTarget start(Path dataDir) {
    LocalCluster cluster = LocalCluster.builder()
        .members(BenchCluster.NODE_COUNT)
        .systemName("etcd-bench")
        .config(ConfigFactory.parseResources(PekkoRaftEtcdTarget.class.getClassLoader(), "bench.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)))
        .dataDir(dataDir)
        .start();
    return new PekkoRaftEtcdTarget(cluster);
  }

  @Override
  public String peer() {
    return EtcdOptions.Target.PEKKO_RAFT.flagName();
  }

  @Override
  public String version() {
    return Output.version();
  }

  @Override
  public List<String> endpoints() {
    return List.copyOf(endpoints);
  }

  @Override
  public long otherProcessesCpuNanos() {
    return 0;
  }

  @Override
  public Map<String, Object> settings() {
    Config c = cluster.system(cluster.memberIds().get(0)).settings().config();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("members", "three ActorSystems in this JVM (the benchmark's clients share it), Artery "
        + c.getString("pekko.remote.artery.transport") + " on 127.0.0.1, each serving the etcd API from its gRPC gateway");
    s.put("first_leader", leader);
    s.put("etcd_group", c.getString("pekko-raft.etcd.group"));
    s.put("election_timeout_min_ms", c.getDuration("pekko-raft.election-timeout-min").toMillis());
    s.put("election_timeout_max_ms", c.getDuration("pekko-raft.election-timeout-max").toMillis());
    s.put("heartbeat_interval_ms", c.getDuration("pekko-raft.heartbeat-interval").toMillis());
    s.put("read_lease", c.getBoolean("pekko-raft.read.lease"));
    s.put("sessions", c.getBoolean("pekko-raft.session.enabled"));
    String journal = c.getString("pekko-raft.journal-plugin-id");
    s.put("journal_plugin_id", journal);
    if (!journal.isEmpty() && c.hasPath(journal + ".fsync")) s.put("journal_fsync", c.getBoolean(journal + ".fsync"));
    s.put("snapshot_every_entries", c.getInt("pekko-raft.snapshot.every-entries"));
    s.put("etcd_max_request_bytes", c.getBytes("pekko-raft.etcd.max-request-bytes"));
    s.put("pekko_settings_from", "bench.conf (includes pekko-raft-node.conf), as W1");
    s.put("data_dir", cluster.dataDir().toString());
    return s;
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (RuntimeException e) {
      Output.comment("the pekko-raft members did not stop in time: " + e);
    }
  }
}
