package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.testing.LocalPorts;
import io.pekkoraft.testkit.LocalCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.Test;

// A RaftClient whose pekko-raft.members lists only the three bootstrap members reaches node-4, a member added
// at run time at its own address and then made the leader: the members it knows answer NotLeader("node-4"),
// so it asks the group for its membership and follows node-4 at the address the configuration records. The
// membership module's client path (RaftMembership.forClient, through RaftClient.route()) gets there alike.
class ClientFollowsMembershipTest {

  private static final String GROUP = "log";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Config CONFIG = ConfigFactory.parseResources("membership-artery-test.conf",
      ConfigParseOptions.defaults().setAllowMissing(false));

  /** Commands are strings appended to a list; every result, and the only query's answer, is its size. */
  public static final class Appended implements StateMachine<String, String, Long> {
    private final List<String> items = new ArrayList<>();

    @Override
    public Long apply(String command) {
      items.add(command);
      return (long) items.size();
    }

    @Override
    public Long query(String query) {
      return (long) items.size();
    }
  }

  @Test
  void aClientConfiguredWithTheBootstrapMembersReachesALeaderAddedAtRunTime() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().members(3).config(CONFIG).withClientSystem().start()) {
      Map<String, RaftGroup<String, String, Long>> groups =
          cluster.init(id -> ReplicatedStateMachine.of(GROUP, Appended::new));
      RoleChanged first = cluster.awaitLeader(GROUP, 0, WAIT);
      RaftClient<String, String, Long> client =
          RaftClient.<String, String, Long>create(cluster.clientSystem(), GROUP).withAskTimeout(Duration.ofSeconds(5));
      assertEquals(1L, get(client.submit("before")), "the client reaches the bootstrap leader");
      assertEquals(first.memberId(), client.leaderHint());

      ActorSystem<Void> fourth = startJoiningNode(cluster, "node-4");
      try {
        PekkoRaft.get(fourth).init(ReplicatedStateMachine.of(GROUP, Appended::new));
        String address = fourth.address().toString();
        Membership added = get(RaftMembership.get(cluster.system(first.memberId())).group(GROUP)
            .addVoter("node-4", address));
        assertTrue(added.voters().contains("node-4"), "node-4 votes: " + added);
        assertEquals(address, added.addresses().get("node-4"), "its address is recorded in the configuration");
        assertEquals("node-4", get(groups.get(first.memberId()).transferLeadership("node-4")));

        // The membership module's client: a bootstrap member answers NotLeader("node-4"), and the client's
        // route learns where node-4 is.
        Membership seen = get(RaftMembership.get(cluster.clientSystem()).forClient(client).membership());
        assertTrue(seen.voters().contains("node-4"), "the leader node-4 answered: " + seen);

        assertEquals(2L, get(client.submit("after")), "the client's command is applied by node-4");
        assertEquals("node-4", client.leaderHint(), "the client learned that node-4 leads");
        assertEquals(2L, get(client.read("size")), "and reads from it");
      } finally {
        fourth.terminate();
        fourth.getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
    }
  }

  /**
   * A node whose self-id is none of the bootstrap members, on a port of its own, in the same Pekko Cluster
   * and with the same pekko-raft.members as the others: it waits as a non-member until a leader adds it.
   * Returns once it is Up in the cluster.
   */
  private static ActorSystem<Void> startJoiningNode(LocalCluster cluster, String id) throws Exception {
    List<Integer> memberPorts = cluster.memberIds().stream()
        .map(member -> (Integer) cluster.system(member).address().getPort().get()).toList();
    int port = LocalPorts.free(1).get(0);
    Config own = ConfigFactory.parseString("pekko-raft.self-id = \"" + id + "\"")
        .withFallback(LocalCluster.dataConfig(cluster.dataDir().resolve(id)))
        .withFallback(LocalCluster.membershipConfig("raft", port, memberPorts, memberPorts.subList(0, 1)))
        .withFallback(CONFIG);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "raft", ConfigFactory.load(own));
    CompletableFuture<Void> up = new CompletableFuture<>();
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
    up.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return system;
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
