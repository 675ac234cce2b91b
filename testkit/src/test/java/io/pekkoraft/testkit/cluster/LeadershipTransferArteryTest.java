package io.pekkoraft.testkit.cluster;

import static io.pekkoraft.testkit.cluster.ArteryTestNodes.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.testkit.cluster.ArteryClusterTest.ListQuery;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// Leadership transfer over Artery TCP between three ActorSystems in one JVM: RaftGroup.transferLeadership
// asked on a follower moves the leadership to the member named, and terminating the leader's ActorSystem
// hands the leadership over before the node leaves the cluster (CoordinatedShutdown), so the others do not
// wait for an election timeout.
class LeadershipTransferArteryTest {

  private static final String GROUP = "handover";
  private static ArteryTestNodes nodes;

  @BeforeAll
  static void startThreeNodes() {
    nodes = ArteryTestNodes.start(GROUP, 3);
    nodes.initGroups();
  }

  @AfterAll
  static void stopNodes() throws Exception {
    if (nodes != null) nodes.close();
  }

  @Test
  void transferOnRequestAndHandOverWhenTheLeadersSystemTerminates() throws Exception {
    RoleChanged first = nodes.awaitLeaderKnownToAll(0);
    List<String> followers = nodes.memberIds().stream().filter(m -> !m.equals(first.memberId())).toList();
    nodes.submitFromEach(nodes.memberIds(), "a", 10);

    // A member that does not exist: a typed failure, nothing changes.
    ExecutionException unknown = assertThrows(ExecutionException.class,
        () -> get(nodes.group(first.memberId()).transferLeadership("node-9")));
    assertInstanceOf(RaftException.Rejected.class, unknown.getCause(), String.valueOf(unknown.getCause()));

    // Asked on one follower, for the other: the request is forwarded to the leader, the answer comes back.
    String target = followers.get(1);
    assertEquals(target, get(nodes.group(followers.get(0)).transferLeadership(target)));
    RoleChanged second = nodes.awaitLeaderKnownToAll(first.term());
    assertEquals(target, second.memberId());
    assertEquals(first.term() + 1, second.term(), "one election: the one the transfer ordered");
    nodes.submitFromEach(nodes.memberIds(), "b", 10);

    // Terminate the new leader's system. A task of a later phase than the hand-over's, but one that runs
    // before the node leaves the cluster, asks the old leader whom it follows: by then, another member.
    ActorSystem<Void> leaderSystem = nodes.system(target);
    CompletableFuture<TransferReply> duringShutdown = new CompletableFuture<>();
    long[] handOverPhaseDone = new long[1];
    CoordinatedShutdown.get(leaderSystem).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "ask-whom-it-follows",
        () -> {
          handOverPhaseDone[0] = System.nanoTime();
          return askWhomItFollows(leaderSystem, nodes.group(target).server(), duringShutdown);
        });
    long terminating = System.nanoTime();
    nodes.terminate(target);

    TransferReply reply = duringShutdown.get(1, TimeUnit.SECONDS);
    assertInstanceOf(TransferReply.NotLeader.class, reply, "the old leader still led while leaving the cluster");
    String successor = ((TransferReply.NotLeader) reply).leaderId();
    assertNotNull(successor, "the old leader knew no leader while leaving the cluster");
    RoleChanged third = nodes.awaitLeaderKnownToAll(second.term());
    System.out.printf("hand-over on ActorSystem.terminate(): phase before-service-unbind done %d ms after terminate();"
        + " %s leads term %d%n", (handOverPhaseDone[0] - terminating) / 1_000_000, third.memberId(), third.term());
    assertEquals(successor, third.memberId(), "the member the old leader handed over to leads");
    assertEquals(second.term() + 1, third.term(), "no election other than the one the hand-over ordered");

    List<String> survivors = nodes.memberIds().stream().filter(m -> !m.equals(target)).toList();
    nodes.submitFromEach(survivors, "c", 10);
    for (String node : survivors) {
      assertEquals(80L, get(nodes.group(node).read(ListQuery.SIZE)), "nothing acknowledged was lost, via " + node);
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
}
