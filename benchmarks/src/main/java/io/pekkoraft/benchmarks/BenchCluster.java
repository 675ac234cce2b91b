package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.gateway.PekkoRaftGateway;
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
 * With gateways, each member also serves the group over gRPC ({@link PekkoRaftGateway}, {@link RegisterCodec})
 * on a free port of 127.0.0.1. {@link #close()} stops all four.
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
  /** Each member's gRPC gateway port; empty without gateways. */
  private final Map<String, Integer> gatewayPorts = new LinkedHashMap<>();
  private final RoleWatch roles = new RoleWatch(GROUP_ID);
  private final TestNetwork network;
  private final boolean gateways;
  private LocalCluster cluster;

  private BenchCluster(TestNetwork network, boolean gateways) {
    this.network = network;
    this.gateways = gateways;
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
    return start(dataDir, network, overrides, false);
  }

  /**
   * {@link #start(Path, TestNetwork, Config)}; with {@code gateways}, each member serves W1's group through
   * its gRPC gateway (started, and its port known, before this returns).
   */
  static BenchCluster start(Path dataDir, TestNetwork network, Config overrides, boolean gateways) {
    BenchCluster bench = new BenchCluster(network, gateways);
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
    if (gateways) {
      PekkoRaftGateway gateway = PekkoRaftGateway.get(system).register(GROUP_ID, RegisterCodec.INSTANCE);
      try {
        gatewayPorts.put(id, gateway.start().toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .localAddress().getPort());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while member " + id + "'s gRPC gateway started", e);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("the gRPC gateway of member " + id + " did not start (waited up to "
            + STEP_TIMEOUT.toSeconds() + " s)", e);
      }
    }
  }

  /** The port of {@code id}'s gRPC gateway on 127.0.0.1; only with gateways. */
  int gatewayPort(String id) {
    Integer port = gatewayPorts.get(id);
    if (port == null) {
      throw new IllegalStateException(gateways ? "member " + id + " has no gateway among " + gatewayPorts.keySet()
          : "this cluster was started without gRPC gateways");
    }
    return port;
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
