package io.pekkoraft.consensus.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.cluster.ArteryClusterTest.ListQuery;
import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Members of one Raft group, each in its own ActorSystem in this JVM, that talk only over Artery TCP on
 * 127.0.0.1 as separate processes would, with the durable journal and snapshot store under one temporary
 * directory. The Artery tests share it so that each of them states only what it checks, not how three
 * clustered nodes are started, watched and stopped.
 *
 * <p>The group runs {@link ArteryClusterTest.ListStateMachine} (string commands, a {@link ListQuery}, long
 * results). Members are {@code node-1} to {@code node-N}; {@code node-1} is the seed node. Each node's
 * configuration is artery-cluster-test.conf plus its port, the member list and its own directories; no
 * self-id, so each node finds its member id by its own cluster address.
 */
final class ArteryTestNodes implements AutoCloseable {

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ELECTION_WAIT = Duration.ofSeconds(15);
  private static final Duration TERMINATION_WAIT = Duration.ofSeconds(30);

  private final String groupId;
  private final Path dataDir;
  /** The members' ports, {@code node-1}'s first. */
  private final List<Integer> ports;
  private final String membersConfig;
  private final Config common =
      ConfigFactory.parseResources("artery-cluster-test.conf", ConfigParseOptions.defaults().setAllowMissing(false));
  private final Map<String, ActorSystem<Void>> systems = new LinkedHashMap<>();
  private final Map<String, RaftGroup<String, ListQuery, Long>> groups = new LinkedHashMap<>();
  /** The latest RoleChanged each member published, as seen on its own node (RoleChanged is published locally). */
  private final Map<String, RoleChanged> roles = new ConcurrentHashMap<>();
  private ActorSystem<Void> clientSystem;

  private ArteryTestNodes(String groupId, Path dataDir, List<Integer> ports) {
    this.groupId = groupId;
    this.dataDir = dataDir;
    this.ports = ports;
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < ports.size(); i++) {
      members.append(String.format("{ id = \"%s\", address = \"%s\" }%n", memberId(i), address(ports.get(i))));
    }
    this.membersConfig = members.toString();
  }

  /**
   * Starts {@code memberCount} ActorSystems that form one cluster and each listen for their member's
   * RoleChanged. The group itself is not started yet: a test may decorate it first ({@link #initGroups}).
   * Should a node fail to start, those already started are stopped again, as the caller gets no fixture to close.
   */
  static ArteryTestNodes start(String groupId, int memberCount) throws IOException {
    ArteryTestNodes nodes = new ArteryTestNodes(groupId, Files.createTempDirectory("artery-" + groupId), LocalPorts.free(memberCount));
    try {
      for (int i = 0; i < memberCount; i++) nodes.startMember(i);
    } catch (RuntimeException | Error failure) {
      try {
        nodes.close();
      } catch (Exception closing) {
        failure.addSuppressed(closing);
      }
      throw failure;
    }
    return nodes;
  }

  private void startMember(int index) {
    String memberId = memberId(index);
    Config node = ConfigFactory.parseString(
        "pekko-raft.journal.dir = \"" + dataDir.resolve(memberId) + "\"\n"
            + "pekko-raft.snapshot-store.dir = \"" + dataDir.resolve(memberId + "-snapshots") + "\"\n");
    ActorSystem<Void> system = startSystem(ports.get(index), node);
    systems.put(memberId, system);
    ActorRef<RoleChanged> listener = system.systemActorOf(
        Behaviors.receive(RoleChanged.class)
            .onMessage(RoleChanged.class, changed -> {
              if (changed.groupId().equals(groupId)) roles.put(changed.memberId(), changed);
              return Behaviors.same();
            })
            .build(),
        "role-listener", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, listener));
  }

  /** Starts the group on every member, each with the description {@code spec} gives for its member id. */
  void initGroups(Function<String, ReplicatedStateMachine<String, ListQuery, Long>> spec) {
    for (Map.Entry<String, ActorSystem<Void>> node : systems.entrySet()) {
      groups.put(node.getKey(), PekkoRaft.get(node.getValue()).init(spec.apply(node.getKey())));
    }
  }

  /** Starts the group on every member as {@code ReplicatedStateMachine.of(groupId, ListStateMachine::new)}. */
  void initGroups() {
    initGroups(memberId -> ReplicatedStateMachine.of(groupId, ArteryClusterTest.ListStateMachine::new));
  }

  /**
   * Starts one more ActorSystem that joins the cluster and knows the member list but is no member: the place
   * for a RaftClient. Stopped by {@link #close()} before the members.
   */
  ActorSystem<Void> startClientSystem() throws IOException {
    clientSystem = startSystem(LocalPorts.free(1).get(0), ConfigFactory.empty());
    return clientSystem;
  }

  private ActorSystem<Void> startSystem(int port, Config own) {
    Config config = own
        .withFallback(ConfigFactory.parseString(
            "pekko.remote.artery.canonical.port = " + port + "\n"
                + "pekko.cluster.seed-nodes = [\"" + address(ports.get(0)) + "\"]\n"
                + "pekko-raft.members = [\n" + membersConfig + "]\n"))
        .withFallback(common);
    return ActorSystem.create(Behaviors.empty(), "raft", ConfigFactory.load(config));
  }

  /** Every member id, {@code node-1} first, whether its system still runs or not. */
  List<String> memberIds() {
    return List.copyOf(systems.keySet());
  }

  /** The members whose ActorSystem has not terminated. */
  List<String> liveMembers() {
    return systems.entrySet().stream()
        .filter(e -> !e.getValue().getWhenTerminated().toCompletableFuture().isDone())
        .map(Map.Entry::getKey)
        .toList();
  }

  ActorSystem<Void> system(String memberId) {
    return systems.get(memberId);
  }

  RaftGroup<String, ListQuery, Long> group(String memberId) {
    return groups.get(memberId);
  }

  /** Terminates one member's ActorSystem and waits until it has terminated. */
  void terminate(String memberId) throws Exception {
    ActorSystem<Void> system = systems.get(memberId);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(TERMINATION_WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Waits until one live member leads a term above {@code aboveTerm} and every other live member follows it. */
  RoleChanged awaitLeaderKnownToAll(long aboveTerm) {
    List<String> live = liveMembers();
    TestProbe<Object> probe = TestProbe.create(systems.get(live.get(0)));
    return probe.awaitAssert(ELECTION_WAIT, () -> {
      RoleChanged leader = live.stream()
          .map(roles::get)
          .filter(r -> r != null && r.role() == RaftRole.LEADER && r.term() > aboveTerm)
          .findFirst()
          .orElse(null);
      assertNotNull(leader, "no leader above term " + aboveTerm + " yet: " + roles);
      for (String member : live) {
        RoleChanged r = roles.get(member);
        assertEquals(leader.term(), r.term(), member + " is in the leader's term: " + roles);
        assertEquals(leader.memberId(), r.leaderId(), member + " knows the leader: " + roles);
      }
      return leader;
    });
  }

  /**
   * {@code perNode} commands ({@code prefix-member-i}) submitted on each of {@code members} at once; every one
   * must be acknowledged. Returns the results, sorted.
   */
  List<Long> submitFromEach(List<String> members, String prefix, int perNode) throws Exception {
    Map<String, CompletableFuture<Long>> pending = new LinkedHashMap<>();
    for (String member : members) {
      for (int i = 0; i < perNode; i++) {
        String command = prefix + "-" + member + "-" + i;
        pending.put(command, groups.get(member).submit(command).toCompletableFuture());
      }
    }
    CompletableFuture.allOf(pending.values().toArray(new CompletableFuture<?>[0]))
        .exceptionally(failure -> null) // each failure is reported below, by command
        .get(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    List<String> failed = new ArrayList<>();
    pending.forEach((command, result) -> {
      if (result.isCompletedExceptionally()) failed.add(command + ": " + result.handle((r, e) -> String.valueOf(e)).join());
    });
    assertTrue(failed.isEmpty(), "commands not acknowledged: " + failed);
    return pending.values().stream().map(CompletableFuture::join).sorted().toList();
  }

  /** The stage's value, waiting at most {@link #REQUEST_TIMEOUT}. */
  static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Terminates the client system, if any, then every member, and deletes the temporary directory. */
  @Override
  public void close() throws Exception {
    if (clientSystem != null) {
      clientSystem.terminate();
      clientSystem.getWhenTerminated().toCompletableFuture().get(TERMINATION_WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    for (ActorSystem<Void> system : systems.values()) system.terminate();
    for (ActorSystem<Void> system : systems.values()) {
      system.getWhenTerminated().toCompletableFuture().get(TERMINATION_WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }

  private static String memberId(int index) {
    return "node-" + (index + 1);
  }

  private static String address(int port) {
    return "pekko://raft@127.0.0.1:" + port;
  }

}
