package io.pekkoraft.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;

/**
 * The members of a Raft group, each in its own ActorSystem in this JVM, that talk only over Artery TCP on
 * 127.0.0.1 as separate processes would, each with its durable journal and snapshot store under one data
 * directory: what a test, a sample or a benchmark needs to run a real cluster on one machine.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().members(3).config(ConfigFactory.load("my-test.conf")).start()) {
 *   Map<String, RaftGroup<Cmd, Query, Result>> groups = cluster.init(id -> ReplicatedStateMachine.of("g", MyMachine::new));
 *   RoleChanged leader = cluster.awaitLeader("g", 0, Duration.ofSeconds(15));
 *   ...
 * }
 * }</pre>
 *
 * <p>Members are {@code node-1} to {@code node-N} (or the ids given to {@link Builder#memberIds}) on free
 * ports; the first is the seed node. Each
 * member's configuration is its port, the seed node and {@code pekko-raft.members} ({@link #membershipConfig}),
 * its journal and snapshot directories under {@code <data>/<member id>/} ({@link #dataConfig}), over the
 * configuration given to the builder, which must make the systems clustered Artery nodes on 127.0.0.1 (as
 * {@code pekko-raft-node.conf} plus {@code pekko.actor.provider = cluster} does). No {@code self-id}: each
 * member finds its id by its own cluster address. {@link #start} returns once every system is Up in the
 * Pekko Cluster; {@link #close} terminates them all and deletes the data directory if the cluster made it.
 *
 * <p>Membership changes at run time: {@link #join} starts one more node, in the same Pekko Cluster but in
 * no group's {@code pekko-raft.members}, that waits as a non-member until a leader adds it (with the
 * {@code membership} module); {@link #terminate} stops one node; {@link #deleteData} deletes the data of a
 * stopped node that was removed from its group.
 */
public final class LocalCluster implements AutoCloseable {

  /** Bound on each step that waits: cluster formation, a system's termination. */
  public static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  /** A role change, and when this JVM saw it ({@link System#nanoTime()}). */
  public record RoleSeen(RoleChanged change, long atNanos) {}

  /** How a cluster is started; {@link LocalCluster#builder()}. */
  public static final class Builder {
    private List<String> memberIds = memberIds(3);
    private String systemName = "raft";
    private Config config = ConfigFactory.empty();
    private Path dataDir;
    private boolean clientSystem;
    private BiConsumer<String, ActorSystem<Void>> onMemberStarted = (id, system) -> {};

    private Builder() {}

    /** How many members: {@code node-1} to {@code node-N}. 3 unless set. */
    public Builder members(int count) {
      if (count < 1) throw new IllegalArgumentException("a cluster has at least one member, not " + count);
      this.memberIds = memberIds(count);
      return this;
    }

    /**
     * The members by id, the first one the seed node, instead of {@code node-1} to {@code node-N}: for a
     * group whose members changed at run time and that starts again from its data.
     */
    public Builder memberIds(List<String> ids) {
      if (ids.isEmpty()) throw new IllegalArgumentException("a cluster has at least one member");
      if (Set.copyOf(ids).size() != ids.size()) throw new IllegalArgumentException("member ids repeat: " + ids);
      this.memberIds = List.copyOf(ids);
      return this;
    }

    private static List<String> memberIds(int count) {
      return java.util.stream.IntStream.range(0, count).mapToObj(LocalCluster::memberId).toList();
    }

    /** The ActorSystems' name, the same on every member. "raft" unless set. */
    public Builder systemName(String name) {
      this.systemName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** What every system runs with, under the settings the cluster adds. */
    public Builder config(Config config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Where the members keep their data, one directory per member id; kept on close. A new temporary
     *  directory, deleted on close, unless set. */
    public Builder dataDir(Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /**
     * Also start one more ActorSystem that joins the Pekko Cluster and knows the member list but is no
     * member of the group: the place for a RaftClient. Terminated by {@link LocalCluster#close()} first.
     */
    public Builder withClientSystem() {
      this.clientSystem = true;
      return this;
    }

    /**
     * Runs {@code hook} on each member's system as soon as it is created, before the cluster has formed: to
     * watch it, or to start a group on it at once (a group whose peers are not Up yet keeps campaigning).
     */
    public Builder onMemberStarted(BiConsumer<String, ActorSystem<Void>> hook) {
      this.onMemberStarted = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /**
     * Starts the systems and waits until each is Up in the Pekko Cluster. Should one fail to start or not be
     * Up in time, those already started are stopped again, as the caller gets no cluster to close.
     */
    public LocalCluster start() {
      LocalCluster cluster = new LocalCluster(this);
      try {
        cluster.startSystems(clientSystem, onMemberStarted);
        return cluster;
      } catch (RuntimeException | Error failure) {
        try {
          cluster.close();
        } catch (RuntimeException closing) {
          failure.addSuppressed(closing);
        }
        throw failure;
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  private final String systemName;
  private final Config config;
  private final Path dataDir;
  private final boolean ownsDataDir;
  /** The bootstrap members' ports, by member id, in order. */
  private final Map<String, Integer> memberPorts = new LinkedHashMap<>();
  /** Every node's system: the bootstrap members, then the nodes started by {@link #join}. */
  private final Map<String, ActorSystem<Void>> systems = new LinkedHashMap<>();
  private ActorSystem<Void> clientSystem;
  /** Per group id, the latest RoleChanged each member published on its own node. */
  private final Map<String, Map<String, RoleSeen>> roles = new LinkedHashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private long startedNanos;
  private long upNanos;

  private record Waiter(String groupId, Set<String> members, long aboveTerm, CompletableFuture<RoleSeen> leader) {}

  private LocalCluster(Builder builder) {
    this.systemName = builder.systemName;
    this.config = builder.config;
    this.ownsDataDir = builder.dataDir == null;
    try {
      this.dataDir = ownsDataDir ? Files.createTempDirectory("local-cluster-") : builder.dataDir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary data directory", e);
    }
    List<Integer> ports = LocalPorts.free(builder.memberIds.size());
    for (int i = 0; i < ports.size(); i++) memberPorts.put(builder.memberIds.get(i), ports.get(i));
  }

  private void startSystems(boolean withClient, BiConsumer<String, ActorSystem<Void>> onMemberStarted) {
    startedNanos = System.nanoTime();
    List<CompletableFuture<Void>> up = new ArrayList<>();
    for (Map.Entry<String, Integer> member : memberPorts.entrySet()) {
      String id = member.getKey();
      ActorSystem<Void> system = startSystem(member.getValue(), dataConfig(dataDir.resolve(id)));
      systems.put(id, system);
      watchRoles(system);
      up.add(memberUp(system));
      onMemberStarted.accept(id, system);
    }
    if (withClient) {
      clientSystem = startSystem(LocalPorts.free(1).get(0), ConfigFactory.empty());
      up.add(memberUp(clientSystem));
    }
    await(CompletableFuture.allOf(up.toArray(new CompletableFuture<?>[0])), "the cluster to form");
    upNanos = System.nanoTime();
  }

  private ActorSystem<Void> startSystem(int port, Config own) {
    return startSystem(port, own, List.of(memberPorts.values().iterator().next()));
  }

  private ActorSystem<Void> startSystem(int port, Config own, List<Integer> seeds) {
    Config whole = own.withFallback(membershipConfig(systemName, port, memberPorts, seeds)).withFallback(config);
    return ActorSystem.create(Behaviors.empty(), systemName, ConfigFactory.load(whole));
  }

  private static CompletableFuture<Void> memberUp(ActorSystem<?> system) {
    CompletableFuture<Void> up = new CompletableFuture<>();
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
    return up;
  }

  private void watchRoles(ActorSystem<Void> system) {
    ActorRef<RoleChanged> listener = system.systemActorOf(
        Behaviors.receive(RoleChanged.class)
            .onMessage(RoleChanged.class, changed -> {
              onRoleChanged(changed);
              return Behaviors.same();
            })
            .build(),
        "local-cluster-roles", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, listener));
  }

  // ---- the configuration every member gets: also for clusters whose members are separate processes

  /** Member {@code node-(index+1)}. */
  public static String memberId(int index) {
    return "node-" + (index + 1);
  }

  /** The Artery address of system {@code systemName} on 127.0.0.1:{@code port}. */
  public static String address(String systemName, int port) {
    return "pekko://" + systemName + "@127.0.0.1:" + port;
  }

  /**
   * A system on {@code port} in the cluster of members on {@code memberPorts} ({@code node-1} on the first,
   * and so on), joining through the systems on {@code seedPorts}: its canonical port, the seed nodes and
   * {@code pekko-raft.members}.
   */
  public static Config membershipConfig(String systemName, int port, List<Integer> memberPorts, List<Integer> seedPorts) {
    Map<String, Integer> byId = new LinkedHashMap<>();
    for (int i = 0; i < memberPorts.size(); i++) byId.put(memberId(i), memberPorts.get(i));
    return membershipConfig(systemName, port, byId, seedPorts);
  }

  /** {@link #membershipConfig(String, int, List, List)} with the members' ids given: member id to port. */
  public static Config membershipConfig(String systemName, int port, Map<String, Integer> memberPorts, List<Integer> seedPorts) {
    String seeds = seedPorts.stream().map(p -> "\"" + address(systemName, p) + "\"").collect(Collectors.joining(", "));
    StringBuilder members = new StringBuilder("pekko-raft.members = [\n");
    for (Map.Entry<String, Integer> member : memberPorts.entrySet()) {
      members.append("  { id = \"").append(member.getKey()).append("\", address = \"")
          .append(address(systemName, member.getValue())).append("\" }\n");
    }
    return ConfigFactory.parseString("pekko.remote.artery.canonical.port = " + port + "\n"
        + "pekko.cluster.seed-nodes = [" + seeds + "]\n"
        + members.append("]\n"));
  }

  /** A member's durable journal in {@code memberDir}/journal and its snapshots in {@code memberDir}/snapshots. */
  public static Config dataConfig(Path memberDir) {
    return ConfigFactory.empty()
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(memberDir.resolve("journal").toString()))
        .withValue("pekko-raft.snapshot-store.dir", ConfigValueFactory.fromAnyRef(memberDir.resolve("snapshots").toString()));
  }

  // ---- the running cluster

  /** Starts the group on every member, each with the description {@code spec} gives for its member id. */
  public <C, Q, R> Map<String, RaftGroup<C, Q, R>> init(Function<String, ReplicatedStateMachine<C, Q, R>> spec) {
    Map<String, RaftGroup<C, Q, R>> groups = new LinkedHashMap<>();
    for (Map.Entry<String, ActorSystem<Void>> member : systems.entrySet()) {
      groups.put(member.getKey(), PekkoRaft.get(member.getValue()).init(spec.apply(member.getKey())));
    }
    return groups;
  }

  /**
   * Every node's id, whether its system still runs or not: the bootstrap members first, {@code node-1} first,
   * then the nodes started by {@link #join}, in order.
   */
  public List<String> memberIds() {
    return List.copyOf(systems.keySet());
  }

  /** The nodes whose ActorSystem has not terminated, joined ones included. */
  public List<String> liveMembers() {
    return systems.entrySet().stream()
        .filter(e -> !e.getValue().getWhenTerminated().toCompletableFuture().isDone())
        .map(Map.Entry::getKey)
        .toList();
  }

  public ActorSystem<Void> system(String memberId) {
    ActorSystem<Void> system = systems.get(memberId);
    if (system == null) throw new IllegalArgumentException("no member " + memberId + " among " + systems.keySet());
    return system;
  }

  /** The system that is no member ({@link Builder#withClientSystem()}). */
  public ActorSystem<Void> clientSystem() {
    if (clientSystem == null) throw new IllegalStateException("the cluster was built without a client system");
    return clientSystem;
  }

  /** The directory the members keep their data in, one subdirectory per member id. */
  public Path dataDir() {
    return dataDir;
  }

  /** When {@link Builder#start()} began creating the systems, and when all were Up ({@link System#nanoTime()}). */
  public long startedNanos() {
    return startedNanos;
  }

  public long upNanos() {
    return upNanos;
  }

  /**
   * Starts one more node, {@code nodeId}, and waits until it is Up in the Pekko Cluster: its own ActorSystem
   * on a free port, its data under {@code <data>/<nodeId>/}, every live node as a seed node, the members'
   * {@code pekko-raft.members}, and {@code pekko-raft.self-id = nodeId}. Not being in {@code pekko-raft.members}, each
   * group it starts ({@code PekkoRaft.get(system).init(...)}) waits as a non-member until a leader adds it at
   * its address ({@code system.address()}). It counts among {@link #liveMembers()}, so wait for a leader
   * known to it ({@link #awaitLeader}) only once it is in the group, and it is terminated by {@link #close}.
   *
   * @throws IllegalArgumentException if a node {@code nodeId} was started already
   */
  public ActorSystem<Void> join(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    if (systems.containsKey(nodeId)) throw new IllegalArgumentException("a node " + nodeId + " was started already");
    Config own = dataConfig(dataDir.resolve(nodeId))
        .withValue("pekko-raft.self-id", ConfigValueFactory.fromAnyRef(nodeId));
    // Every live node is a seed: the first member may be the one stopped.
    List<Integer> seeds = liveMembers().stream().map(id -> (Integer) system(id).address().getPort().get()).toList();
    if (seeds.isEmpty()) throw new IllegalStateException("no node runs for " + nodeId + " to join");
    ActorSystem<Void> system = startSystem(LocalPorts.free(1).get(0), own, seeds);
    systems.put(nodeId, system);
    watchRoles(system);
    await(memberUp(system), nodeId + " to join the cluster");
    return system;
  }

  /**
   * Starts terminating one node's ActorSystem (CoordinatedShutdown runs: a leader hands its leadership over
   * first); completes once it has terminated. Its data stays, for a restart or {@link #deleteData}.
   */
  public CompletableFuture<Void> terminate(String memberId) {
    ActorSystem<Void> system = system(memberId);
    system.terminate();
    return system.getWhenTerminated().toCompletableFuture().thenApply(done -> null);
  }

  /**
   * Deletes the data directory of {@code nodeId}, whose system has terminated: for a node removed from its
   * group, which must not start again with its old log (it would still believe it is a member). A node
   * started later under the same id starts with an empty disk, as a new server.
   *
   * @throws IllegalStateException if its system still runs
   */
  public void deleteData(String nodeId) {
    if (!system(nodeId).getWhenTerminated().toCompletableFuture().isDone()) {
      throw new IllegalStateException(nodeId + " still runs; terminate it before deleting its data");
    }
    deleteRecursively(dataDir.resolve(nodeId));
  }

  /**
   * Completes once one of {@code members} leads group {@code groupId} in a term above {@code aboveTerm} and
   * every other of them follows it in that term, with the leader's own report.
   */
  public synchronized CompletableFuture<RoleSeen> leaderKnownTo(String groupId, Collection<String> members, long aboveTerm) {
    Waiter waiter = new Waiter(groupId, Set.copyOf(members), aboveTerm, new CompletableFuture<>());
    waiters.add(waiter);
    completeWaiters();
    return waiter.leader();
  }

  /** Waits at most {@code timeout} until a live member leads above {@code aboveTerm}, known to every live member. */
  public RoleChanged awaitLeader(String groupId, long aboveTerm, Duration timeout) {
    CompletableFuture<RoleSeen> leader = leaderKnownTo(groupId, liveMembers(), aboveTerm);
    try {
      return leader.get(timeout.toMillis(), TimeUnit.MILLISECONDS).change();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no leader of " + groupId + " above term " + aboveTerm + " known to "
          + liveMembers() + " within " + timeout + "; latest roles: " + latestRoles(groupId), e);
    } catch (Exception e) {
      throw new IllegalStateException("waiting for a leader of " + groupId, e);
    }
  }

  /** The latest role change each member reported in group {@code groupId}. */
  public synchronized Map<String, RoleChanged> latestRoles(String groupId) {
    Map<String, RoleChanged> latest = new LinkedHashMap<>();
    roles.getOrDefault(groupId, Map.of()).forEach((member, seen) -> latest.put(member, seen.change()));
    return latest;
  }

  private synchronized void onRoleChanged(RoleChanged change) {
    roles.computeIfAbsent(change.groupId(), g -> new LinkedHashMap<>())
        .put(change.memberId(), new RoleSeen(change, System.nanoTime()));
    completeWaiters();
  }

  private void completeWaiters() {
    waiters.removeIf(waiter -> {
      RoleSeen leader = agreedLeader(waiter);
      if (leader != null) waiter.leader().complete(leader);
      return leader != null;
    });
  }

  private RoleSeen agreedLeader(Waiter waiter) {
    Map<String, RoleSeen> group = roles.getOrDefault(waiter.groupId(), Map.of());
    RoleSeen leader = waiter.members().stream()
        .map(group::get)
        .filter(s -> s != null && s.change().role() == RaftRole.LEADER && s.change().term() > waiter.aboveTerm())
        .findFirst()
        .orElse(null);
    if (leader == null) return null;
    for (String member : waiter.members()) {
      RoleSeen seen = group.get(member);
      if (seen == null || seen.change().term() != leader.change().term()
          || !leader.change().memberId().equals(seen.change().leaderId())) {
        return null;
      }
    }
    return leader;
  }

  /** Terminates the client system, if any, then every member, and deletes the data directory if it made it. */
  @Override
  public void close() {
    List<ActorSystem<Void>> all = new ArrayList<>();
    if (clientSystem != null) all.add(clientSystem);
    all.addAll(systems.values());
    for (ActorSystem<Void> system : all) system.terminate();
    for (ActorSystem<Void> system : all) await(system.getWhenTerminated().toCompletableFuture(), system + " to terminate");
    if (ownsDataDir) deleteRecursively(dataDir);
  }

  private static void await(CompletableFuture<?> future, String what) {
    try {
      future.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("waited " + STEP_TIMEOUT + " for " + what, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
