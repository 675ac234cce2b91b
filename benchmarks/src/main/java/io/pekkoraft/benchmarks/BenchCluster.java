package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.testing.LocalPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;

/**
 * The cluster of workload W1 in this JVM: three Raft members, each its own ActorSystem with its own Artery
 * TCP port on 127.0.0.1 and its own durable journal directory, and a fourth ActorSystem, a member of the
 * same Pekko Cluster but not of the Raft group, for the clients. {@link #close()} stops all four.
 */
final class BenchCluster implements AutoCloseable {

  static final String SYSTEM_NAME = "w1";
  static final String GROUP_ID = "w1-register";
  static final int NODE_COUNT = 3;
  /** Bound on each step that waits: cluster formation, an election, a system's shutdown. */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  /** A Raft member: its ActorSystem and its handle to the group. */
  record Node(String id, ActorSystem<Void> system, RaftGroup<Register.Add, Register.Get, Long> group) {}

  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final RoleWatch roles = new RoleWatch(GROUP_ID);
  private final TrafficCounter traffic = new TrafficCounter();
  private final Path dataDir;
  private ActorSystem<Void> clientSystem;
  private long buildStartedNanos;
  private long clusterUpNanos;

  private BenchCluster(Path dataDir) {
    this.dataDir = dataDir;
  }

  /**
   * Starts the three members (journals under {@code dataDir}) and the client system, and waits until all
   * four are Up in the Pekko Cluster. {@code network} sits between each member and its Raft transport.
   */
  static BenchCluster start(Path dataDir, NetworkCut network) throws Exception {
    BenchCluster cluster = new BenchCluster(dataDir);
    try {
      cluster.startSystems(network);
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  private void startSystems(NetworkCut network) throws Exception {
    // Artery could bind port 0 and report its port, but pekko-raft.members must hold every member's
    // address, port included, before any member starts: the ports are picked free just before.
    List<Integer> ports = LocalPorts.free(NODE_COUNT + 1);
    List<Integer> nodePorts = ports.subList(0, NODE_COUNT);
    List<CompletableFuture<Void>> up = new ArrayList<>();
    buildStartedNanos = System.nanoTime();
    for (int i = 0; i < NODE_COUNT; i++) {
      String id = memberId(i);
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME,
          config(ports.get(i), nodePorts, dataDir.resolve(id).resolve("journal")));
      roles.watch(system);
      up.add(memberUp(system));
      RaftGroup<Register.Add, Register.Get, Long> group = PekkoRaft.get(system).init(
          ReplicatedStateMachine.of(GROUP_ID, Register::new).withTransport(network::decorate).withTransport(traffic::decorate));
      nodes.put(id, new Node(id, system, group));
    }
    clientSystem = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config(ports.get(NODE_COUNT), nodePorts, null));
    up.add(memberUp(clientSystem));
    CompletableFuture.allOf(up.toArray(new CompletableFuture<?>[0])).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    clusterUpNanos = System.nanoTime();
  }

  private static CompletableFuture<Void> memberUp(ActorSystem<?> system) {
    CompletableFuture<Void> up = new CompletableFuture<>();
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
    return up;
  }

  /** bench.conf with the port, seed nodes, members and (for a Raft member) its journal and snapshot directories. */
  static Config config(int port, List<Integer> nodePorts, Path journalDir) {
    StringBuilder own = new StringBuilder()
        .append("pekko.remote.artery.canonical.port = ").append(port).append('\n')
        // node-1 forms the cluster at once (it is the first seed); the others join it.
        .append("pekko.cluster.seed-nodes = [\"").append(address(nodePorts.get(0))).append("\"]\n")
        .append("pekko-raft.members = [\n");
    for (int i = 0; i < nodePorts.size(); i++) {
      own.append("  { id = \"").append(memberId(i)).append("\", address = \"").append(address(nodePorts.get(i))).append("\" }\n");
    }
    own.append("]\n");
    Config config = ConfigFactory.parseString(own.toString());
    if (journalDir != null) {
      config = config.withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(journalDir.toString()))
          .withValue("pekko-raft.snapshot-store.dir",
              ConfigValueFactory.fromAnyRef(journalDir.resolveSibling("snapshots").toString()));
    }
    ClassLoader loader = BenchCluster.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "bench.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    return ConfigFactory.load(loader, config.withFallback(shared));
  }

  static String memberId(int index) {
    return "node-" + (index + 1);
  }

  static String address(int port) {
    return "pekko://" + SYSTEM_NAME + "@127.0.0.1:" + port;
  }

  /** When {@link #start} began creating the members' ActorSystems. */
  long buildStartedNanos() {
    return buildStartedNanos;
  }

  /** When all four ActorSystems were Up in the Pekko Cluster. */
  long clusterUpNanos() {
    return clusterUpNanos;
  }

  /** The replication traffic the members sent so far. */
  TrafficCounter traffic() {
    return traffic;
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
    return clientSystem;
  }

  /** One member's configuration as it runs (all members share every pekko-raft setting). */
  Config memberConfig() {
    return nodes.values().iterator().next().system().settings().config();
  }

  /** Starts terminating {@code id}'s ActorSystem (CoordinatedShutdown runs) and forgets the member. */
  CompletableFuture<Void> terminate(String id) {
    Node node = nodes.remove(id);
    if (node == null) throw new IllegalArgumentException("no running member " + id);
    node.system().terminate();
    return node.system().getWhenTerminated().toCompletableFuture().thenApply(done -> null);
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
    List<ActorSystem<Void>> systems = new ArrayList<>();
    for (Node node : nodes.values()) systems.add(node.system());
    if (clientSystem != null) systems.add(clientSystem);
    nodes.clear();
    for (ActorSystem<Void> system : systems) system.terminate();
    for (ActorSystem<Void> system : systems) {
      try {
        system.getWhenTerminated().toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        Output.comment("ActorSystem " + system.address() + " did not stop in time: " + e);
      }
    }
  }

}
