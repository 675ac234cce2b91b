package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.PeerDirectory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Two ActorSystems on 127.0.0.1 form one Pekko Cluster: "client" runs a RaftClient whose pekko-raft.members
// names node-1 only; "servers" plays the group's servers with test probes. When node-1 names node-2, a member
// the client does not know, as the leader, the client asks node-1 for the membership, follows node-2 at the
// address the membership records, and its command goes there; node-1, removed in that committed membership,
// is no longer asked.
class ClientConnectionMembershipTest {

  private static final Duration WITHIN = Duration.ofSeconds(20); // a failure bound only
  private static final String GROUP = "follow";

  private static ActorSystem<Void> servers;
  private static ActorSystem<Void> client;

  @BeforeAll
  static void formCluster() {
    servers = ActorSystem.create(Behaviors.empty(), "raft", config(ConfigFactory.empty()));
    client = ActorSystem.create(Behaviors.empty(), "raft", config(ConfigFactory.parseString(
        "pekko-raft.members = [ { id = \"node-1\", address = \"" + servers.address() + "\" } ]")));
    Cluster.get(servers).manager().tell(Join.create(Cluster.get(servers).selfMember().address()));
    Cluster.get(client).manager().tell(Join.create(Cluster.get(servers).selfMember().address()));
    TestProbe.create(client).awaitAssert(WITHIN, () -> {
      for (ActorSystem<Void> system : List.of(servers, client)) {
        assertEquals(2, Cluster.get(system).state().members().size(), "both nodes are members");
        Cluster.get(system).state().getMembers().forEach(m -> assertEquals(MemberStatus.up(), m.status()));
      }
      return null;
    });
  }

  private static Config config(Config own) {
    return own.withFallback(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.cluster.typed.receptionist.distributed-data.gossip-interval = 100ms
        pekko.cluster.typed.receptionist.distributed-data.notify-subscribers-interval = 50ms
        """)).withFallback(ConfigFactory.load());
  }

  @AfterAll
  static void stop() throws Exception {
    for (ActorSystem<Void> system : List.of(client, servers)) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void followsAMemberNamedAsLeaderThatItDidNotKnowAndDropsOneRemoved() throws Exception {
    // node-1 names node-2 as the leader to every request; the membership requests it gets go to the test.
    TestProbe<ServerCommand> node1probe = TestProbe.create(servers);
    registered("node-1", servers.systemActorOf(Behaviors.receiveMessage(m -> {
      if (m instanceof ClientRequest request) request.reply(new ClientReply.NotLeader("node-2"));
      else node1probe.ref().tell(m);
      return Behaviors.same();
    }), "node-1", Props.empty()));
    // node-2's server is where a server of the group is on its node, so that it is reached before it is listed too.
    TestProbe<ServerCommand> node2probe = TestProbe.create(servers);
    ActorRef<ServerCommand> node2 = servers.systemActorOf(Behaviors.receiveMessage(m -> {
      node2probe.ref().tell(m);
      return Behaviors.same();
    }), RaftServer.actorName(GROUP), Props.empty());
    registered("node-2", node2);

    RaftClient<String, String, Long> raftClient = RaftClient.create(client, GROUP);
    try {
      CompletableFuture<Long> result = raftClient.withAskTimeout(WITHIN).submit("x").toCompletableFuture();

      // Told NotLeader(node-2), the client asks node-1 for the membership: node-2 leads, node-1 was removed.
      MembershipRequest.GetMembership get = node1probe.expectMessageClass(MembershipRequest.GetMembership.class, WITHIN);
      assertEquals(0, get.hops(), "a follower asked forwards it to the leader");
      Membership removedNode1 = new Membership(Set.of("node-2"), Set.of("node-3"), Set.of(), Set.of(),
          Map.of("node-2", servers.address().toString(), "node-3", servers.address().toString()), 7, true);
      get.replyTo().tell(new MembershipReply.Status(removedNode1, "node-2", 3, 7, Map.of()));

      ClientRequest.ClientCommand open = node2probe.expectMessageClass(ClientRequest.ClientCommand.class, WITHIN);
      assertTrue(open.opensSession(), "the client opens its session first: " + open);
      open.reply(new ClientReply.Applied(8L, 8));
      ClientRequest.ClientCommand command = node2probe.expectMessageClass(ClientRequest.ClientCommand.class, WITHIN);
      assertEquals(8L, command.sessionId(), "the command goes in the session opened");
      command.reply(new ClientReply.Applied(42L, 9));
      assertEquals(42L, result.get(WITHIN.toSeconds(), TimeUnit.SECONDS), "the command went to node-2");
      assertEquals("node-2", raftClient.leaderHint());

      // Without a leader hint, the client asks the members it follows in turn: node-2 (node-3 is not
      // listed), never node-1, which the committed membership removed.
      RequestLoop.Route route = raftClient.route();
      route.notLeader(node2, null);
      ActorRef<ServerCommand> node2Here = ActorRefResolver.get(client).resolveActorRef(
          ActorRefResolver.get(servers).toSerializationFormat(node2));
      TestProbe.create(client).awaitAssert(WITHIN, () -> {
        for (int i = 0; i < 3; i++) assertEquals(node2Here, route.next(), "call " + i + " of next()");
        return null;
      });
    } finally {
      raftClient.close();
    }
  }

  private static void registered(String member, ActorRef<ServerCommand> server) {
    TestProbe<Receptionist.Registered> ack = TestProbe.create(servers);
    servers.receptionist().tell(Receptionist.register(PeerDirectory.serviceKey(GROUP, member), server, ack.ref()));
    ack.expectMessageClass(Receptionist.Registered.class);
  }
}
