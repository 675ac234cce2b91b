package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.options.PutOption;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.etcd.kv.EtcdError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leader cut off from the others (its Raft traffic dropped, its gateway and its lessor still reachable), as a
 * paused leader is when it wakes: it still believes it leads until it hears of its successor. Its lessor must
 * neither acknowledge a keep-alive nor revoke a lease, while the new leader keeps the lease alive. Chaos found
 * both (bin/chaos --workload etcd, seed 13): a keep-alive acknowledged with TTL 4 s by the woken leader of term
 * 3, and its revocation, forwarded to term 4's leader, applied 80 ms later.
 */
class EtcdDeposedLeaderLeaseTest {

  EtcdTestCluster etcd;

  @BeforeEach
  void start() throws Exception {
    etcd = new EtcdTestCluster();
  }

  @AfterEach
  void stop() {
    if (etcd != null) etcd.close();
  }

  @Test
  void aDeposedLeaderNeitherAcknowledgesAKeepAliveNorRevokesWhileTheNewLeaderKeepsTheLease() throws Exception {
    // Every member follows the leader first, so that the other two can elect one without it.
    RoleChanged old = etcd.cluster.leaderKnownTo("etcd", etcd.cluster.memberIds(), 0)
        .get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS).change();
    String deposed = old.memberId();
    long id = await(etcd.client(deposed).getLeaseClient().grant(10)).getID();
    await(etcd.client(deposed).getKVClient().put(bs("deposed/a"), bs("1"), PutOption.builder().withLeaseId(id)
        .build()));

    etcd.network.isolate(deposed);
    // At once, before it can have stepped down: its lessor still leads, with the lease's deadline 10 s ahead.
    CompletableFuture<?> keepAlive = etcd.client(deposed).getLeaseClient().keepAliveOnce(id);
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> keepAlive.get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS),
        () -> "the deposed leader of term " + old.term() + " acknowledged a keep-alive: " + keepAlive.getNow(null));
    String why = String.valueOf(refused.getCause().getMessage());
    assertTrue(why.contains(EtcdError.NO_LEADER.message()) || why.contains(EtcdError.TIMEOUT.message()),
        "answered etcd's no leader (or, without a majority in time, request timed out): " + refused.getCause());

    // Its expiry, decided as leader of its term, is never appended by another leader: it fails.
    var deposedGroup = PekkoRaftEtcd.get(etcd.cluster.system(deposed)).group();
    ExecutionException notApplied = assertThrows(ExecutionException.class, () -> deposedGroup
        .submitAsLeader(new EtcdCommand.LeaseExpire(id, old.term()), Duration.ofSeconds(3)).toCompletableFuture()
        .get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS));
    assertTrue(notApplied.getCause() instanceof RaftException.NotLeader
        || notApplied.getCause() instanceof RaftException.Timeout, "not applied: " + notApplied.getCause());

    RoleChanged next = etcd.cluster.leaderKnownTo("etcd", etcd.cluster.memberIds().stream()
        .filter(m -> !m.equals(deposed)).toList(), old.term()).get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS)
        .change();
    assertNotEquals(deposed, next.memberId());
    // Forwarded to the new leader (as the group's client path does), it lands in an entry of the new term.
    var nextGroup = PekkoRaftEtcd.get(etcd.cluster.system(next.memberId())).group();
    assertEquals(EtcdError.NOT_LEADER, assertInstanceOf(EtcdResult.Refused.class,
        await(nextGroup.submit(new EtcdCommand.LeaseExpire(id, old.term())).toCompletableFuture())).error(),
        "an expiry decided in term " + old.term() + " is not applied in term " + next.term());

    // The new leader keeps the lease alive, and its key stays.
    assertEquals(10, await(etcd.client(next.memberId()).getLeaseClient().keepAliveOnce(id)).getTTL());
    assertEquals(1, await(etcd.client(next.memberId()).getKVClient().get(bs("deposed/a"))).getCount());
    etcd.network.heal();
    assertEquals(10, await(etcd.client(next.memberId()).getLeaseClient().keepAliveOnce(id)).getTTL());
    assertEquals(1, await(etcd.client(next.memberId()).getKVClient().get(bs("deposed/a"))).getCount());
  }
}
