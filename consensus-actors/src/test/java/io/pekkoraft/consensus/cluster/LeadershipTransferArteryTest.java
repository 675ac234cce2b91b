package io.pekkoraft.consensus.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.cluster.ArteryClusterTest.ListQuery;
import io.pekkoraft.consensus.cluster.ArteryClusterTest.ListStateMachine;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Leadership transfer over Artery TCP between three ActorSystems in one JVM: RaftGroup.transferLeadership
// asked on a follower moves the leadership to the member named, and terminating the leader's ActorSystem
// hands the leadership over before the node leaves the cluster (CoordinatedShutdown), so the others do not
// wait for an election timeout.
class LeadershipTransferArteryTest {

  private static final String GROUP = "handover";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ELECTION_WAIT = Duration.ofSeconds(15);

  private static final Map<String, ActorSystem<Void>> systems = new LinkedHashMap<>();
  private static final Map<String, RaftGroup<String, ListQuery, Long>> groups = new LinkedHashMap<>();
  /** The latest RoleChanged each member published, as seen on its own node. */
  private static final Map<String, RoleChanged> roles = new ConcurrentHashMap<>();
  private static Path dataDir;

  @BeforeAll
  static void startThreeNodes() throws IOException {
    dataDir = Files.createTempDirectory("leadership-transfer-artery-test");
    List<Integer> ports = freePorts(3);
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
      groups.put(node.getKey(), PekkoRaft.get(node.getValue()).init(ReplicatedStateMachine.of(GROUP, ListStateMachine::new)));
    }
  }

  @AfterAll
  static void stopNodes() throws Exception {
    for (ActorSystem<Void> system : systems.values()) system.terminate();
    for (ActorSystem<Void> system : systems.values()) {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dataDir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }

  @Test
  void transferOnRequestAndHandOverWhenTheLeadersSystemTerminates() throws Exception {
    RoleChanged first = awaitLeaderKnownToAll(0);
    List<String> followers = groups.keySet().stream().filter(m -> !m.equals(first.memberId())).toList();
    submit(List.copyOf(groups.keySet()), "a", 10);

    // A member that does not exist: a typed failure, nothing changes.
    ExecutionException unknown = assertThrows(ExecutionException.class,
        () -> get(groups.get(first.memberId()).transferLeadership("node-9")));
    assertInstanceOf(RaftException.Rejected.class, unknown.getCause(), String.valueOf(unknown.getCause()));

    // Asked on one follower, for the other: the request is forwarded to the leader, the answer comes back.
    String target = followers.get(1);
    assertEquals(target, get(groups.get(followers.get(0)).transferLeadership(target)));
    RoleChanged second = awaitLeaderKnownToAll(first.term());
    assertEquals(target, second.memberId());
    assertEquals(first.term() + 1, second.term(), "one election: the one the transfer ordered");
    submit(List.copyOf(groups.keySet()), "b", 10);

    // Terminate the new leader's system. A task of a later phase than the hand-over's, but one that runs
    // before the node leaves the cluster, asks the old leader whom it follows: by then, another member.
    ActorSystem<Void> leaderSystem = systems.get(target);
    CompletableFuture<TransferReply> duringShutdown = new CompletableFuture<>();
    long[] handOverPhaseDone = new long[1];
    CoordinatedShutdown.get(leaderSystem).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "ask-whom-it-follows",
        () -> {
          handOverPhaseDone[0] = System.nanoTime();
          return askWhomItFollows(leaderSystem, groups.get(target).server(), duringShutdown);
        });
    long terminating = System.nanoTime();
    leaderSystem.terminate();
    leaderSystem.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

    TransferReply reply = duringShutdown.get(1, TimeUnit.SECONDS);
    assertInstanceOf(TransferReply.NotLeader.class, reply, "the old leader still led while leaving the cluster");
    String successor = ((TransferReply.NotLeader) reply).leaderId();
    assertNotNull(successor, "the old leader knew no leader while leaving the cluster");
    RoleChanged third = awaitLeaderKnownToAll(second.term());
    System.out.printf("hand-over on ActorSystem.terminate(): phase before-service-unbind done %d ms after terminate();"
        + " %s leads term %d%n", (handOverPhaseDone[0] - terminating) / 1_000_000, third.memberId(), third.term());
    assertEquals(successor, third.memberId(), "the member the old leader handed over to leads");
    assertEquals(second.term() + 1, third.term(), "no election other than the one the hand-over ordered");

    List<String> survivors = groups.keySet().stream().filter(m -> !m.equals(target)).toList();
    submit(survivors, "c", 10);
    for (String node : survivors) {
      assertEquals(80L, get(groups.get(node).read(ListQuery.SIZE)), "nothing acknowledged was lost, via " + node);
    }
  }

  private static CompletionStage<Done> askWhomItFollows(ActorSystem<Void> system, ActorRef<ServerCommand> server,
      CompletableFuture<TransferReply> result) {
    return AskPattern.<ServerCommand, TransferReply>ask(server, replyTo -> new TransferLeadership(null, false, replyTo),
            Duration.ofSeconds(3), system.scheduler())
        .handle((reply, failure) -> {
          if (failure != null) result.completeExceptionally(failure);
          else result.complete(reply);
          return Done.getInstance();
        });
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

  /** {@code perNode} commands submitted on each of {@code nodes} at once; every one must be acknowledged. */
  private static void submit(List<String> nodes, String prefix, int perNode) throws Exception {
    List<CompletableFuture<Long>> pending = new ArrayList<>();
    List<String> commands = new ArrayList<>();
    for (String node : nodes) {
      for (int i = 0; i < perNode; i++) {
        commands.add(prefix + "-" + node + "-" + i);
        pending.add(groups.get(node).submit(commands.get(commands.size() - 1)).toCompletableFuture());
      }
    }
    CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
        .exceptionally(failure -> null)
        .get(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < pending.size(); i++) {
      if (pending.get(i).isCompletedExceptionally()) {
        failed.add(commands.get(i) + ": " + pending.get(i).handle((r, e) -> String.valueOf(e)).join());
      }
    }
    assertTrue(failed.isEmpty(), "commands not acknowledged: " + failed);
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

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
