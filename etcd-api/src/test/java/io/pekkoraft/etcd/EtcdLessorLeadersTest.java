package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.junit.jupiter.api.Test;

/**
 * A follower's lessor forwards keep-alives to the leader's lessor, which it finds through the receptionist: it
 * subscribes to the listing of each leader it learns of. Here the follower has known two leaders, and the first
 * one leaves: the listing of the first leader's lessor changes while the follower forwards to the second's.
 */
class EtcdLessorLeadersTest {

  @Test
  void aFollowersLessorForwardsKeepAlivesAfterALeaderItKnewBeforeTheCurrentOneLeaves() throws Exception {
    try (EtcdTestCluster etcd = new EtcdTestCluster()) {
      String first = etcd.leader();
      List<String> others = etcd.cluster.memberIds().stream().filter(m -> !m.equals(first)).toList();
      String follower = others.get(0);
      String second = others.get(1);
      String group = PekkoRaftEtcd.get(etcd.cluster.system(follower)).settings().group();
      try (Client client = Client.builder().endpoints(etcd.endpoint(follower)).build()) {
        long id = await(client.getLeaseClient().grant(10)).getID();
        assertTrue(await(client.getLeaseClient().keepAliveOnce(id)).getTTL() > 0, "forwarded to " + first);
        assertEquals(second, await(PekkoRaftEtcd.get(etcd.cluster.system(first)).group().transferLeadership(second)
            .toCompletableFuture()));
        assertTrue(await(client.getLeaseClient().keepAliveOnce(id)).getTTL() > 0, "forwarded to " + second);

        // The first leader's system leaves; the follower's receptionist lists its lessor no more, and tells every
        // subscriber, the follower's lessor as well as this test's.
        CompletableFuture<Void> unlisted = new CompletableFuture<>();
        ServiceKey<LessorActor.Command> firstsLessor = LessorActor.serviceKey(group, first);
        var system = etcd.cluster.system(follower);
        var watcher = system.systemActorOf(Behaviors.receive(Receptionist.Listing.class)
            .onMessage(Receptionist.Listing.class, listing -> {
              if (listing.getServiceInstances(firstsLessor).isEmpty()) unlisted.complete(null);
              return Behaviors.same();
            }).build(), "test-lessor-listing", Props.empty());
        system.receptionist().tell(Receptionist.subscribe(firstsLessor, watcher));
        await(etcd.cluster.terminate(first));
        unlisted.get(60, TimeUnit.SECONDS);

        for (int i = 0; i < 3; i++) {
          assertTrue(await(client.getLeaseClient().keepAliveOnce(id)).getTTL() > 0,
              "keep-alive " + (i + 1) + " through " + follower + " after " + first + " left");
        }
      }
    }
  }
}
