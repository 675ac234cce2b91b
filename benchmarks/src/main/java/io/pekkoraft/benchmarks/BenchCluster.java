package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.testkit.LocalCluster;
import io.pekkoraft.testkit.TestNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The cluster of workload W1 in this JVM: three Raft members, each its own ActorSystem with its own Artery
 * TCP port on 127.0.0.1 and its own durable journal directory, and a fourth ActorSystem, a member of the
 * same Pekko Cluster but not of the Raft group, for the clients (the testkit's {@link LocalCluster}).
 * {@link #close()} stops all four.
 */
final class BenchCluster implements AutoCloseable {

  static final String SYSTEM_NAME = "w1";
  static final String GROUP_ID = "w1-register";
  static final int NODE_COUNT = 3;
  /** Bound on each step that waits: cluster formation, an election, a system's shutdown. */
  static final Duration STEP_TIMEOUT = LocalCluster.STEP_TIMEOUT;

  /** A Raft member: its ActorSystem and its handle to the group. */
  record Node(String id, ActorSystem<Void> system, RaftGroup<Register.Add, Register.Get, Long> group) {}

  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final RoleWatch roles = new RoleWatch(GROUP_ID);
  private final TestNetwork network;
  private LocalCluster cluster;

  private BenchCluster(TestNetwork network) {
    this.network = network;
  }

  /**
   * Starts the three members (journals under {@code dataDir}), each with its group, and the client system,
   * and waits until all four are Up in the Pekko Cluster. {@code network} sits between each member and its
   * Raft transport: it counts what they send, and can cut a member off.
   */
  static BenchCluster start(Path dataDir, TestNetwork network) {
    return start(dataDir, network, ConfigFactory.empty());
  }

  /** {@link #start(Path, TestNetwork)} with {@code overrides} over bench.conf on all four ActorSystems. */
  static BenchCluster start(Path dataDir, TestNetwork network, Config overrides) {
    BenchCluster bench = new BenchCluster(network);
    bench.cluster = LocalCluster.builder()
        .members(NODE_COUNT)
        .systemName(SYSTEM_NAME)
        .config(overrides.withFallback(ConfigFactory.parseResources(BenchCluster.class.getClassLoader(), "bench.conf",
            ConfigParseOptions.defaults().setAllowMissing(false))))
        .dataDir(dataDir)
        .withClientSystem()
        .onMemberStarted(bench::startMember)
        .start();
    return bench;
  }

  private void startMember(String id, ActorSystem<Void> system) {
    roles.watch(system);
    RaftGroup<Register.Add, Register.Get, Long> group = PekkoRaft.get(system).init(
        ReplicatedStateMachine.of(GROUP_ID, Register::new).withTransport(network::decorate));
    nodes.put(id, new Node(id, system, group));
  }

  /** When {@link #start} began creating the members' ActorSystems. */
  long buildStartedNanos() {
    return cluster.startedNanos();
  }

  /** When all four ActorSystems were Up in the Pekko Cluster. */
  long clusterUpNanos() {
    return cluster.upNanos();
  }

  /** What the members sent so far. */
  TestNetwork.Counts traffic() {
    return network.counts();
  }

  RoleWatch roles() {
    return roles;
  }

  Map<String, Node> nodes() {
    return nodes;
  }

  Node node(String id) {
    Node node = nodes.get(id);
    if (node == null) throw new IllegalArgumentException("no running member " + id + " among " + nodes.keySet());
    return node;
  }

  /** The ActorSystem that hosts the clients: in the Pekko Cluster, not in the Raft group. */
  ActorSystem<Void> clientSystem() {
    return cluster.clientSystem();
  }

  /** One member's configuration as it runs (all members share every pekko-raft setting). */
  Config memberConfig() {
    return nodes.values().iterator().next().system().settings().config();
  }

  /** Starts terminating {@code id}'s ActorSystem (CoordinatedShutdown runs) and forgets the member. */
  CompletableFuture<Void> terminate(String id) {
    if (nodes.remove(id) == null) throw new IllegalArgumentException("no running member " + id);
    return cluster.terminate(id);
  }

  /**
   * Each running member's own register, read locally ({@link ReadConsistency#STALE}). A follower applies
   * what the leader committed with the leader's next heartbeat, so the reads are repeated, bounded, until
   * every member reaches {@code expected} (or the bound passes: the values are then what they are).
   */
  Map<String, Long> registersReaching(long expected, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    Map<String, Long> values = new LinkedHashMap<>();
    while (true) {
      for (Node node : nodes.values()) {
        values.put(node.id(), node.group().read(Register.Get.INSTANCE, ReadConsistency.STALE)
            .toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
      }
      if (values.values().stream().allMatch(v -> v >= expected) || System.nanoTime() > deadline) return values;
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    nodes.clear();
    try {
      if (cluster != null) cluster.close();
    } catch (RuntimeException e) {
      Output.comment("the cluster did not stop in time: " + e);
    }
  }
}
