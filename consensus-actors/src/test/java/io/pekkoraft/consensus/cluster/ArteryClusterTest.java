package io.pekkoraft.consensus.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.serialization.KryoRegistrar;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Three nodes in three ActorSystems that talk only over Artery TCP on 127.0.0.1 find each other through the
// Cluster receptionist, elect a leader, commit commands submitted on any node, and, once the leader's
// ActorSystem terminates, elect a new leader among the other two and keep committing. A fourth ActorSystem, a
// cluster node that is not a member, reaches the group through RaftClient before and after the failover.
class ArteryClusterTest {

  private static final String GROUP = "list";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ELECTION_WAIT = Duration.ofSeconds(15);

  /** The test's state machine: commands are strings appended to a list; every result is the list's size. */
  public static final class ListStateMachine implements StateMachine<String, ListQuery, Long> {
    private final List<String> items = new ArrayList<>();

    @Override
    public Long apply(String command) {
      items.add(command);
      return (long) items.size();
    }

    @Override
    public Long query(ListQuery query) {
      return switch (query) {
        case SIZE -> (long) items.size();
        case HASH -> (long) items.hashCode(); // depends on the order too: equal hashes, same sequence (almost surely)
      };
    }
  }

  public enum ListQuery {
    SIZE,
    HASH
  }

  /** Listed in artery-cluster-test.conf. Strings and Longs are Kryo defaults; only the query needs an id. */
  public static final class ListKryoRegistrar implements KryoRegistrar {
    @Override
    public void register(Kryo kryo) {
      kryo.register(ListQuery.class, 1000);
    }
  }

  private static final Map<String, ActorSystem<Void>> systems = new LinkedHashMap<>();
  private static final Map<String, RaftGroup<String, ListQuery, Long>> groups = new LinkedHashMap<>();
  /** The latest RoleChanged each member published, as seen on its own node. */
  private static final Map<String, RoleChanged> roles = new ConcurrentHashMap<>();

  /** Messages each member sent through its transport, counted by a decorator (ReplicatedStateMachine.withTransport). */
  private static final Map<String, AtomicLong> sentThroughDecorator = new ConcurrentHashMap<>();
  /** A cluster node that is not a member of the group, and its client. */
  private static ActorSystem<Void> clientSystem;
  private static RaftClient<String, ListQuery, Long> client;

  /** Each node's durable journal lives in its own directory under this one. */
  private static java.nio.file.Path dataDir;

  @BeforeAll
  static void startThreeNodes() throws IOException {
    dataDir = java.nio.file.Files.createTempDirectory("artery-cluster-test");
    List<Integer> ports = freePorts(4);
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      members.append(String.format("{ id = \"node-%d\", address = \"pekko://raft@127.0.0.1:%d\" }%n", i + 1, ports.get(i)));
    }
    Config common = ConfigFactory.parseResources("artery-cluster-test.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    for (int i = 0; i < 3; i++) {
      String memberId = "node-" + (i + 1);
      Config node = ConfigFactory.parseString(
          "pekko.remote.artery.canonical.port = " + ports.get(i) + "\n"
              + "pekko.cluster.seed-nodes = [\"pekko://raft@127.0.0.1:" + ports.get(0) + "\"]\n"
              // no self-id: each node finds its member id by its own cluster address
              + "pekko-raft.members = [\n" + members + "]\n"
              + "pekko-raft.journal.dir = \"" + dataDir.resolve(memberId) + "\"\n"
              + "pekko-raft.snapshot-store.dir = \"" + dataDir.resolve(memberId + "-snapshots") + "\"\n")
          .withFallback(common);
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "raft", ConfigFactory.load(node));
      systems.put(memberId, system);
      ActorRef<RoleChanged> listener = system.systemActorOf(
          Behaviors.receive(RoleChanged.class)
              .onMessage(RoleChanged.class, changed -> {
                if (changed.groupId().equals(GROUP)) roles.put(changed.memberId(), changed);
                return Behaviors.same();
              })
              .build(),
          "role-listener", Props.empty());
      system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, listener));
    }
    for (Map.Entry<String, ActorSystem<Void>> node : systems.entrySet()) {
      PekkoRaft raft = PekkoRaft.get(node.getValue());
      assertEquals(node.getKey(), raft.selfId(), "member id resolved from the cluster address");
      AtomicLong sent = sentThroughDecorator.computeIfAbsent(node.getKey(), k -> new AtomicLong());
      groups.put(node.getKey(), raft.init(ReplicatedStateMachine.of(GROUP, ListStateMachine::new)
          .withTransport(transport -> new Transport() {
            @Override
            public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
              transport.bind(selfId, server, context);
            }

            @Override
            public boolean send(String to, ServerCommand message) {
              sent.incrementAndGet();
              return transport.send(to, message);
            }
          })));
    }
    Config clientConfig = ConfigFactory.parseString(
        "pekko.remote.artery.canonical.port = " + ports.get(3) + "\n"
            + "pekko.cluster.seed-nodes = [\"pekko://raft@127.0.0.1:" + ports.get(0) + "\"]\n"
            + "pekko-raft.members = [\n" + members + "]\n")
        .withFallback(common);
    clientSystem = ActorSystem.create(Behaviors.empty(), "raft", ConfigFactory.load(clientConfig));
    client = RaftClient.create(clientSystem, GROUP);
  }

  @AfterAll
  static void stopNodes() throws Exception {
    client.close();
    clientSystem.terminate();
    clientSystem.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    for (ActorSystem<Void> system : systems.values()) system.terminate();
    for (ActorSystem<Void> system : systems.values()) {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dataDir)) {
      for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(f);
    }
  }

  @Test
  void replicatesOverArteryAndSurvivesTheLeadersSystemTerminating() throws Exception {
    RoleChanged first = awaitLeaderKnownToAll(0);
    String leader = first.memberId();

    // Ten commands from each node at once; followers forward theirs to the leader.
    List<Long> results = submitFromEach(List.copyOf(groups.keySet()), "a", 10);
    assertEquals(LongStream.rangeClosed(1, 30).boxed().toList(), results,
        "each command applied exactly once, at its own position in the list");
    for (String node : groups.keySet()) {
      assertEquals(30L, get(groups.get(node).read(ListQuery.SIZE)), "linearizable read through " + node);
    }
    awaitSameStaleState(List.copyOf(groups.keySet()), 30);
    for (String node : groups.keySet()) {
      assertTrue(sentThroughDecorator.get(node).get() > 0, node + " sent through the decorated transport");
    }

    // The client outside the group: its commands and reads reach the leader over Artery.
    for (long i = 31; i <= 35; i++) assertEquals(i, get(client.submit("c-" + i)), "client command " + i);
    assertEquals(35L, get(client.read(ListQuery.SIZE)), "the client reads its own writes");
    assertEquals(leader, client.leaderHint(), "the client learned who leads");

    systems.get(leader).terminate();
    systems.get(leader).getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<String> survivors = groups.keySet().stream().filter(n -> !n.equals(leader)).toList();

    RoleChanged second = awaitLeaderKnownToAll(first.term());
    assertNotEquals(leader, second.memberId());
    assertTrue(survivors.contains(second.memberId()));

    List<Long> more = submitFromEach(survivors, "b", 10);
    assertEquals(LongStream.rangeClosed(36, 55).boxed().toList(), more,
        "the new leader continues the log where the old one left it");
    for (String node : survivors) {
      assertEquals(55L, get(groups.get(node).read(ListQuery.SIZE, ReadConsistency.LINEARIZABLE)),
          "linearizable read through " + node);
    }
    assertEquals(56L, get(client.submit("c-56")), "the client follows the group to its new leader");
    assertEquals(second.memberId(), client.leaderHint());
    awaitSameStaleState(survivors, 56);
  }

  /** Waits until one live member leads a term above {@code aboveTerm} and every other live member follows it. */
  private static RoleChanged awaitLeaderKnownToAll(long aboveTerm) {
    List<String> live = systems.entrySet().stream()
        .filter(e -> !e.getValue().getWhenTerminated().toCompletableFuture().isDone())
        .map(Map.Entry::getKey)
        .toList();
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

  /** {@code perNode} commands submitted on each of {@code nodes} at once; the sorted results. */
  private static List<Long> submitFromEach(List<String> nodes, String prefix, int perNode) throws Exception {
    Map<String, CompletableFuture<Long>> pending = new LinkedHashMap<>();
    for (String node : nodes) {
      for (int i = 0; i < perNode; i++) {
        String command = prefix + "-" + node + "-" + i;
        pending.put(command, groups.get(node).submit(command).toCompletableFuture());
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
    return pending.values().stream().map(CompletableFuture::join).sorted().collect(Collectors.toList());
  }

  /** Every node's own state (a stale read, no leader involved) reaches {@code size} and the same order of items. */
  private static void awaitSameStaleState(List<String> nodes, long size) {
    TestProbe<Object> probe = TestProbe.create(systems.get(nodes.get(0)));
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      Long hash = null;
      for (String node : nodes) {
        RaftGroup<String, ListQuery, Long> group = groups.get(node);
        assertEquals(size, get(group.read(ListQuery.SIZE, ReadConsistency.STALE)), node + " applied everything");
        long h = get(group.read(ListQuery.HASH, ReadConsistency.STALE));
        if (hash != null) assertEquals(hash, h, node + " holds the items in the same order");
        hash = h;
      }
      return null;
    });
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Ports free now on 127.0.0.1: Artery needs them up front, since every member's address is configured. */
  private static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) sockets.add(new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")));
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : sockets) s.close();
    }
  }
}
