package io.pekkoraft.testkit.cluster;

import static io.pekkoraft.testkit.cluster.ArteryTestNodes.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.KryoRegistrar;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import io.pekkoraft.testkit.TestNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Three nodes in three ActorSystems that talk only over Artery TCP on 127.0.0.1 find each other through the
// Cluster receptionist, elect a leader, commit commands submitted on any node, and, once the leader's
// ActorSystem terminates, elect a new leader among the other two and keep committing. A fourth ActorSystem, a
// cluster node that is not a member, reaches the group through RaftClient before and after the failover.
class ArteryClusterTest {

  private static final String GROUP = "list";

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

  private static ArteryTestNodes nodes;
  /** Between the members: counts what each sent through its transport (ReplicatedStateMachine.withTransport). */
  private static final TestNetwork network = new TestNetwork();
  /** The client, on a cluster node that is not a member of the group. */
  private static RaftClient<String, ListQuery, Long> client;
  private static ActorSystem<Void> clientSystem;

  @BeforeAll
  static void startThreeNodes() {
    nodes = ArteryTestNodes.start(GROUP, 3);
    for (String memberId : nodes.memberIds()) {
      assertEquals(memberId, PekkoRaft.get(nodes.system(memberId)).selfId(), "member id resolved from the cluster address");
    }
    nodes.initGroups(memberId -> ReplicatedStateMachine.of(GROUP, ListStateMachine::new).withTransport(network::decorate));
    clientSystem = nodes.clientSystem();
    client = RaftClient.create(clientSystem, GROUP);
  }

  @AfterAll
  static void stopNodes() throws Exception {
    if (client != null) client.close();
    if (nodes != null) nodes.close();
  }

  @Test
  void replicatesOverArteryAndSurvivesTheLeadersSystemTerminating() throws Exception {
    RoleChanged first = nodes.awaitLeaderKnownToAll(0);
    String leader = first.memberId();

    // Ten commands from each node at once; followers forward theirs to the leader.
    List<Long> results = nodes.submitFromEach(nodes.memberIds(), "a", 10);
    assertEquals(LongStream.rangeClosed(1, 30).boxed().toList(), results,
        "each command applied exactly once, at its own position in the list");
    for (String node : nodes.memberIds()) {
      assertEquals(30L, get(nodes.group(node).read(ListQuery.SIZE)), "linearizable read through " + node);
    }
    awaitSameStaleState(nodes.memberIds(), 30);
    for (String node : nodes.memberIds()) {
      assertTrue(network.counts(node).messages() > 0, node + " sent through the decorated transport");
    }

    // The client outside the group: its commands and reads reach the leader over Artery.
    for (long i = 31; i <= 35; i++) assertEquals(i, get(client.submit("c-" + i)), "client command " + i);
    assertEquals(35L, get(client.read(ListQuery.SIZE)), "the client reads its own writes");
    assertEquals(leader, client.leaderHint(), "the client learned who leads");

    // Eight clients of the same system share its connection: 200 requests in flight at once leave in
    // batches, and each is applied exactly once. Closing seven leaves the connection to the others.
    List<RaftClient<String, ListQuery, Long>> many = new ArrayList<>();
    for (int i = 0; i < 8; i++) many.add(RaftClient.create(clientSystem, GROUP));
    List<CompletableFuture<Long>> inFlight = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      for (RaftClient<String, ListQuery, Long> c : many) inFlight.add(c.submit("m-" + i).toCompletableFuture());
    }
    List<Long> manyResults = new ArrayList<>();
    for (CompletableFuture<Long> f : inFlight) manyResults.add(get(f));
    Collections.sort(manyResults);
    assertEquals(LongStream.rangeClosed(36, 235).boxed().toList(), manyResults);
    for (RaftClient<String, ListQuery, Long> c : many.subList(1, 8)) c.close();
    assertEquals(236L, get(many.get(0).submit("m-last")), "a client whose connection others closed still works");
    many.get(0).close();
    assertEquals(237L, get(client.submit("c-237")), "the first client still works once all the others closed");

    // A client reaches a leader the receptionist has not listed to it yet at its server's path, the same on
    // every member: <member address>/system/pekko-raft-<group>.
    ActorRef<ServerCommand> server = nodes.group(leader).server();
    assertEquals("/system/pekko-raft-" + GROUP, server.path().toStringWithoutAddress());
    ActorRef<ServerCommand> byPath = ActorRefResolver.get(clientSystem).resolveActorRef(
        nodes.system(leader).address() + "/system/pekko-raft-" + GROUP);
    ClientReply reply = get(AskPattern.<ServerCommand, ClientReply>ask(byPath,
        replyTo -> new ClientRequest.ClientCommand(RaftSerialization.get(clientSystem).codec().toBytes("p-238"), 1, replyTo),
        Duration.ofSeconds(10), clientSystem.scheduler()));
    assertEquals(238L, ((ClientReply.Applied) reply).result(), "the leader answers at its path");

    nodes.terminate(leader);
    List<String> survivors = nodes.memberIds().stream().filter(n -> !n.equals(leader)).toList();

    RoleChanged second = nodes.awaitLeaderKnownToAll(first.term());
    assertNotEquals(leader, second.memberId());
    assertTrue(survivors.contains(second.memberId()));

    List<Long> more = nodes.submitFromEach(survivors, "b", 10);
    assertEquals(LongStream.rangeClosed(239, 258).boxed().toList(), more,
        "the new leader continues the log where the old one left it");
    for (String node : survivors) {
      assertEquals(258L, get(nodes.group(node).read(ListQuery.SIZE, ReadConsistency.LINEARIZABLE)),
          "linearizable read through " + node);
    }
    assertEquals(259L, get(client.submit("c-259")), "the client follows the group to its new leader");
    assertEquals(second.memberId(), client.leaderHint());
    awaitSameStaleState(survivors, 259);
  }

  /** Every member's own state (a stale read, no leader involved) reaches {@code size} and the same order of items. */
  private static void awaitSameStaleState(List<String> members, long size) {
    TestProbe<Object> probe = TestProbe.create(nodes.system(members.get(0)));
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      Long hash = null;
      for (String node : members) {
        RaftGroup<String, ListQuery, Long> group = nodes.group(node);
        assertEquals(size, get(group.read(ListQuery.SIZE, ReadConsistency.STALE)), node + " applied everything");
        long h = get(group.read(ListQuery.HASH, ReadConsistency.STALE));
        if (hash != null) assertEquals(hash, h, node + " holds the items in the same order");
        hash = h;
      }
      return null;
    });
  }
}
