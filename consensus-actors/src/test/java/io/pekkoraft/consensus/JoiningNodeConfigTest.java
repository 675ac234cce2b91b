package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.testing.LocalPorts;
import io.pekkoraft.consensus.transport.PeerDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

// pekko-raft.members names the bootstrap members only: a node whose self-id is none of them starts as a
// joining node (its server runs and registers under its id, to wait as a non-member until a leader adds
// it), while a node that cannot tell who it is, or that sits at a bootstrap member's address under another
// id, still refuses to start with a message that says what to set.
class JoiningNodeConfigTest {

  private static final String GROUP = "joining";

  private Path dir;

  @BeforeEach
  void createDir() throws Exception {
    dir = Files.createTempDirectory("joining-node");
  }

  @AfterEach
  void deleteDir() throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }

  @Test
  void aSelfIdOutsideTheMembersStartsAJoiningNodeRegisteredUnderItsId() throws Exception {
    int elsewhere = LocalPorts.free(1).get(0);
    withSystem("""
        pekko-raft.self-id = node-4
        pekko-raft.members = [ { id = node-1, address = "pekko://joining@127.0.0.1:%d" } ]
        """.formatted(elsewhere), 0, system -> {
      Cluster.get(system).manager().tell(Join.create(Cluster.get(system).selfMember().address()));
      PekkoRaft raft = PekkoRaft.get(system);
      assertEquals("node-4", raft.selfId());
      RaftGroup<String, String, String> group = raft.init(ReplicatedStateMachine.of(GROUP, Echo::new));
      assertEquals("node-4", group.memberId());

      TestProbe<Receptionist.Listing> listing = TestProbe.create(system);
      system.receptionist().tell(Receptionist.subscribe(PeerDirectory.serviceKey(GROUP, "node-4"), listing.ref()));
      listing.fishForMessage(Duration.ofSeconds(20), l ->
          l.getServiceInstances(PeerDirectory.serviceKey(GROUP, "node-4")).contains(group.server())
              ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
              : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    });
  }

  @Test
  void withoutSelfIdAClusterAddressOutsideTheMembersIsStillAnError() throws Exception {
    int elsewhere = LocalPorts.free(1).get(0);
    withSystem("""
        pekko-raft.members = [ { id = node-1, address = "pekko://joining@127.0.0.1:%d" } ]
        """.formatted(elsewhere), 0, system -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PekkoRaft.get(system));
      assertTrue(e.getMessage().contains("is none of pekko-raft.members"), e.getMessage());
      assertTrue(e.getMessage().contains("set pekko-raft.self-id (to a new member id, for a node that joins"),
          e.getMessage());
    });
  }

  @Test
  void aJoiningNodeAtABootstrapMembersAddressIsAnError() throws Exception {
    int port = LocalPorts.free(1).get(0);
    withSystem("""
        pekko-raft.self-id = node-4
        pekko-raft.members = [ { id = node-1, address = "pekko://joining@127.0.0.1:%d" } ]
        """.formatted(port), port, system -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PekkoRaft.get(system));
      assertTrue(e.getMessage().contains("is the address of member node-1"), e.getMessage());
    });
  }

  /** A cluster node named "joining" on 127.0.0.1:{@code port} (0: any) with {@code raft} settings. */
  private void withSystem(String raft, int port, Consumer<ActorSystem<Void>> test) throws Exception {
    Config config = ConfigFactory.parseString(raft + """
        include "pekko-raft-node.conf"
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = %d
        pekko.cluster.jmx.enabled = off
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.persistence.snapshot-store.plugin = "pekko.persistence.no-snapshot-store"
        pekko-raft.journal.dir = "%s"
        pekko-raft.snapshot-store.dir = "%s"
        """.formatted(port, dir.resolve("journal"), dir.resolve("snapshots"))).withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "joining", config);
    try {
      test.accept(system);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Answers every query with itself; commands are never committed here. */
  public static final class Echo implements StateMachine<String, String, String> {
    @Override
    public String apply(String command) {
      return command;
    }

    @Override
    public String query(String query) {
      return query;
    }
  }

}
