package io.pekkoraft.consensus.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Two ActorSystems on 127.0.0.1 form one Pekko Cluster: "here" runs a ReceptionistTransport inside a stand-in
// for member node-1's server, "there" registers the other members' servers (test probes) with the
// receptionist. The transport follows the configuration it is told of: a member added at an address is
// reached there, a member removed is no longer reached, and a server registered under a member's id from
// another address than the configuration records is never taken for the member.
class ReceptionistTransportTest {

  private static final Duration LISTED_WITHIN = Duration.ofSeconds(20); // a failure bound only

  private static ActorSystem<Void> here;
  private static ActorSystem<Void> there;

  @BeforeAll
  static void formCluster() {
    here = ActorSystem.create(Behaviors.empty(), "transport", config());
    there = ActorSystem.create(Behaviors.empty(), "transport", config());
    Cluster.get(here).manager().tell(Join.create(Cluster.get(here).selfMember().address()));
    Cluster.get(there).manager().tell(Join.create(Cluster.get(here).selfMember().address()));
    TestProbe.create(here).awaitAssert(LISTED_WITHIN, () -> {
      for (ActorSystem<Void> system : java.util.List.of(here, there)) {
        assertEquals(2, Cluster.get(system).state().members().size(), "both nodes are members");
        Cluster.get(system).state().getMembers().forEach(m -> assertEquals(MemberStatus.up(), m.status()));
      }
      return null;
    });
  }

  private static Config config() {
    return ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.cluster.typed.receptionist.distributed-data.gossip-interval = 100ms
        pekko.cluster.typed.receptionist.distributed-data.notify-subscribers-interval = 50ms
        """).withFallback(ConfigFactory.load());
  }

  @AfterAll
  static void stop() throws Exception {
    for (ActorSystem<Void> system : java.util.List.of(there, here)) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void reachesMembersTheConfigurationAddsAndNoLongerThoseItRemoves() throws Exception {
    String group = "follow";
    TestProbe<ServerCommand> node2 = registered(there, group, "node-2");
    TestProbe<ServerCommand> node3 = registered(there, group, "node-3");
    Server node1 = Server.start(group, Map.of("node-1", address(here), "node-2", address(there)));

    // At first the bootstrap members: node-2 is reached, node-3 is no member and not followed.
    awaitSent(node1, "node-2", node2);
    assertFalse(node1.call(() -> node1.transport.send("node-3", ping())), "node-3 is no member yet");

    // node-3 joins as a learner at its address: it is followed there and reached.
    node1.call(() -> {
      node1.transport.configurationChanged(new Configuration(Set.of("node-1", "node-2"), Set.of(), Set.of("node-3"),
          Set.of(), Map.of("node-3", there.address().toString()), Map.of()));
      return null;
    });
    awaitSent(node1, "node-3", node3);

    // node-2 is removed: from this configuration on it is not reached, node-3 still is.
    boolean sentToRemoved = node1.call(() -> {
      node1.transport.configurationChanged(new Configuration(Set.of("node-1", "node-3"), Set.of(), Set.of(), Set.of(),
          Map.of("node-3", there.address().toString()), Map.of()));
      return node1.transport.send("node-2", ping());
    });
    assertFalse(sentToRemoved, "a member removed from the configuration is no longer reached");
    assertNull(node1.transport.peers().get("node-2"));
    assertEquals(Set.of("node-3"), node1.call(() -> node1.transport.peers().followed()));
    assertTrue(node1.call(() -> node1.transport.send("node-3", ping())));
    node3.expectMessageClass(RaftMessage.TimeoutNow.class);
  }

  @Test
  void aServerListedFromAnotherAddressThanTheConfiguredOneIsIgnored() throws Exception {
    String group = "impostor";
    // node-5 is added at the address of "there"; a second server under its id registers "here".
    TestProbe<ServerCommand> impostor = registered(here, group, "node-5");
    TestProbe<ServerCommand> node5 = registered(there, group, "node-5");
    Server node1 = Server.start(group, Map.of("node-1", address(here)));
    node1.call(() -> {
      node1.transport.configurationChanged(new Configuration(Set.of("node-1"), Set.of(), Set.of("node-5"), Set.of(),
          Map.of("node-5", there.address().toString()), Map.of()));
      return null;
    });
    PeerDirectory peers = node1.transport.peers();
    TestProbe.create(here).awaitAssert(LISTED_WITHIN, () -> {
      assertEquals(there(node5), peers.get("node-5"), "the server at the configured address is node-5");
      return null;
    });

    // The real node-5 goes: the listing now names only the impostor, which must not take its place.
    there.receptionist().tell(Receptionist.deregister(PeerDirectory.serviceKey(group, "node-5"), node5.ref()));
    TestProbe.create(here).awaitAssert(LISTED_WITHIN, () -> {
      assertNotEquals(there(node5), peers.get("node-5"), "the listing without node-5 arrived");
      return null;
    });
    assertNull(peers.get("node-5"), "the impostor " + impostor.ref() + " is not taken for node-5");
  }

  @Test
  void aMemberIdThatIsNoLegalActorNameIsFollowedWithoutStoppingTheServer() throws Exception {
    // Membership changes refuse such ids (MemberIds), but a configuration is whatever the log holds: the
    // transport names its follower after the id URL-encoded, so a control character, a slash or a space in
    // an id cannot throw InvalidActorNameException out of the server (which would stop it).
    String group = "odd-ids";
    String odd = "peer-\u0001/x y";
    TestProbe<ServerCommand> member = registered(there, group, odd);
    Server node1 = Server.start(group, Map.of("node-1", address(here)));
    node1.call(() -> {
      node1.transport.configurationChanged(new Configuration(Set.of("node-1"), Set.of(), Set.of(odd), Set.of(),
          Map.of(odd, there.address().toString()), Map.of()));
      return null;
    });
    assertEquals(Set.of(odd), node1.call(() -> node1.transport.peers().followed()));
    awaitSent(node1, odd, member);
  }

  /** The probe's ref as the other node sees it: with the host and port of "there". */
  private static ActorRef<ServerCommand> there(TestProbe<ServerCommand> probe) {
    return org.apache.pekko.actor.typed.ActorRefResolver.get(here).resolveActorRef(
        org.apache.pekko.actor.typed.ActorRefResolver.get(there).toSerializationFormat(probe.ref()));
  }

  private static RaftMessage.TimeoutNow ping() {
    return new RaftMessage.TimeoutNow(1, "node-1");
  }

  /** Sends from node-1 to {@code member} until the transport has it listed; the probe then receives it. */
  private static void awaitSent(Server from, String member, TestProbe<ServerCommand> server) {
    TestProbe.create(here).awaitAssert(LISTED_WITHIN, () -> {
      assertTrue(from.call(() -> from.transport.send(member, ping())), member + " is listed");
      return null;
    });
    server.expectMessageClass(RaftMessage.TimeoutNow.class);
  }

  private static TestProbe<ServerCommand> registered(ActorSystem<Void> system, String group, String member) {
    TestProbe<ServerCommand> probe = TestProbe.create(system);
    TestProbe<Receptionist.Registered> ack = TestProbe.create(system);
    system.receptionist().tell(Receptionist.register(PeerDirectory.serviceKey(group, member), probe.ref(), ack.ref()));
    ack.expectMessageClass(Receptionist.Registered.class);
    return probe;
  }

  private static org.apache.pekko.actor.Address address(ActorSystem<Void> system) {
    return Cluster.get(system).selfMember().address();
  }

  /** Stands in for node-1's server: binds the transport, and runs the test's calls on its own thread. */
  private static final class Server {
    final ReceptionistTransport transport;
    final ActorRef<Object> actor;

    private Server(ReceptionistTransport transport, ActorRef<Object> actor) {
      this.transport = transport;
      this.actor = actor;
    }

    static Server start(String group, Map<String, org.apache.pekko.actor.Address> bootstrap) {
      ReceptionistTransport transport = new ReceptionistTransport(group, bootstrap);
      Behavior<Object> behavior = Behaviors.setup(ctx -> {
        @SuppressWarnings("unchecked")
        ActorContext<ServerCommand> server = (ActorContext<ServerCommand>) (ActorContext<?>) ctx;
        transport.bind("node-1", server.getSelf(), server);
        return Behaviors.receiveMessage(m -> {
          if (m instanceof Runnable call) call.run();
          return Behaviors.same();
        });
      });
      return new Server(transport, here.systemActorOf(behavior, "server-" + group, Props.empty()));
    }

    /** Runs {@code call} on the server's thread, as the transport's methods are. */
    <T> T call(Supplier<T> call) throws Exception {
      CompletableFuture<T> result = new CompletableFuture<>();
      actor.tell((Runnable) () -> {
        try {
          result.complete(call.get());
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
      return result.get(10, TimeUnit.SECONDS);
    }
  }
}
