package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static io.pekkoraft.etcd.EtcdTestCluster.failure;
import static io.pekkoraft.etcd.EtcdTestCluster.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.election.NoLeaderException;
import io.etcd.jetcd.election.NotLeaderException;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.options.GetOption;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcd's server-side Lock and Election services (v3lockpb, v3electionpb) driven by jetcd's Lock and Election
 * clients against three members, one client on a follower and one on the leader: a second locker waits until the
 * first unlocks or its lease is revoked and then holds a key with a greater create revision; a waiter whose own
 * lease is revoked is refused; campaign, leader, observe, proclaim and resign with etcd's answers and errors. A
 * waiter is known to wait once its key is in the store (the server put it before waiting); waits are bounded by
 * generous timeouts.
 */
class EtcdLockElectionJetcdTest {

  static EtcdTestCluster etcd;
  static Client onFollower;
  static Client onLeader;

  @BeforeAll
  static void start() throws Exception {
    etcd = new EtcdTestCluster();
    onFollower = Client.builder().endpoints(etcd.endpoint(etcd.follower())).build();
    onLeader = Client.builder().endpoints(etcd.endpoint(etcd.leader())).build();
  }

  @AfterAll
  static void stop() {
    if (onFollower != null) onFollower.close();
    if (onLeader != null) onLeader.close();
    if (etcd != null) etcd.close();
  }

  static long lease(Client client) throws Exception {
    return await(client.getLeaseClient().grant(60)).getID();
  }

  /** The keys under {@code prefix}, oldest first. */
  static List<KeyValue> under(String prefix) throws Exception {
    return await(onLeader.getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build())).getKvs();
  }

  /** Asks again (bounded) until {@code n} keys are under {@code prefix}: then every waiter's key is there. */
  static List<KeyValue> awaitKeys(String prefix, int n) throws Exception {
    long deadline = System.nanoTime() + EtcdTestCluster.STEP.toNanos();
    List<KeyValue> keys;
    do {
      keys = under(prefix);
      if (keys.size() == n) return keys;
    } while (System.nanoTime() < deadline);
    throw new AssertionError(n + " keys under " + prefix + " expected, found " + keys);
  }

  @Test
  void aSecondLockerWaitsUntilTheFirstUnlocksAndGetsAGreaterRevision() throws Exception {
    long first = lease(onFollower);
    long second = lease(onLeader);
    LockResponse held = await(onFollower.getLockClient().lock(bs("unlocked"), first));
    assertEquals("unlocked/" + Long.toHexString(first), str(held.getKey()));
    CompletableFuture<LockResponse> waiting = onLeader.getLockClient().lock(bs("unlocked"), second);
    List<KeyValue> queued = awaitKeys("unlocked/", 2);
    assertEquals(held.getKey(), queued.get(0).getKey());
    assertFalse(waiting.isDone(), "the second locker got the lock while the first held it");

    await(onFollower.getLockClient().unlock(held.getKey()));
    LockResponse next = await(waiting);
    assertEquals("unlocked/" + Long.toHexString(second), str(next.getKey()));
    List<KeyValue> now = under("unlocked/");
    assertEquals(1, now.size());
    assertTrue(now.get(0).getCreateRevision() > queued.get(0).getCreateRevision(),
        "fencing token " + now.get(0).getCreateRevision() + " after " + queued.get(0).getCreateRevision());
    assertTrue(next.getHeader().getRevision() >= now.get(0).getCreateRevision());
    await(onLeader.getLockClient().unlock(next.getKey()));
    assertEquals(List.of(), under("unlocked/"));
  }

  @Test
  void theHoldersRevokedLeaseHandsTheLockOn() throws Exception {
    long first = lease(onLeader);
    long second = lease(onFollower);
    LockResponse held = await(onLeader.getLockClient().lock(bs("revoked"), first));
    CompletableFuture<LockResponse> waiting = onFollower.getLockClient().lock(bs("revoked"), second);
    awaitKeys("revoked/", 2);
    assertFalse(waiting.isDone(), "the second locker got the lock while the first held it");
    await(onLeader.getLeaseClient().revoke(first));
    LockResponse next = await(waiting);
    assertEquals("revoked/" + Long.toHexString(second), str(next.getKey()));
    assertFalse(held.getKey().equals(next.getKey()));
    await(onFollower.getLeaseClient().revoke(second));
  }

  @Test
  void aWaiterWhoseLeaseEndsIsRefusedAndTheLockStaysWithItsHolder() throws Exception {
    long holder = lease(onLeader);
    long waiter = lease(onFollower);
    LockResponse held = await(onLeader.getLockClient().lock(bs("expired"), holder));
    CompletableFuture<LockResponse> waiting = onFollower.getLockClient().lock(bs("expired"), waiter);
    awaitKeys("expired/", 2);
    await(onFollower.getLeaseClient().revoke(waiter));
    String refused = failure(waiting);
    assertTrue(refused.contains(KeyQueue.SESSION_EXPIRED), refused);
    List<KeyValue> now = under("expired/");
    assertEquals(1, now.size());
    assertEquals(held.getKey(), now.get(0).getKey());
    await(onLeader.getLeaseClient().revoke(holder));
  }

  @Test
  void aLockOnAMissingLeaseIsRefusedAsEtcdRefusesIt() {
    String refused = failure(onFollower.getLockClient().lock(bs("nolease"), 0x1234));
    assertTrue(refused.contains("etcdserver: requested lease not found"), refused);
  }

  /** What a call failed with. */
  static Throwable cause(CompletableFuture<?> future) {
    return assertThrows(ExecutionException.class,
        () -> future.get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS)).getCause();
  }

  /** Collects what Observe streams. */
  static final class Observed implements Election.Listener {
    final BlockingQueue<LeaderResponse> leaders = new LinkedBlockingQueue<>();
    volatile Throwable failed;

    @Override
    public void onNext(LeaderResponse response) {
      leaders.add(response);
    }

    @Override
    public void onError(Throwable throwable) {
      failed = throwable;
    }

    @Override
    public void onCompleted() {}

    String next() throws InterruptedException {
      LeaderResponse r = leaders.poll(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(r, "no leader observed" + (failed == null ? "" : ": " + failed));
      return str(r.getKv().getValue());
    }
  }

  @Test
  void campaignLeaderObserveProclaimAndResign() throws Exception {
    ByteSequence name = bs("election");
    Election follower = onFollower.getElectionClient();
    Election leader = onLeader.getElectionClient();
    // jetcd turns etcd's "election: no leader" and "election: not leader" into these exceptions.
    assertInstanceOf(NoLeaderException.class, cause(follower.leader(name)));

    long firstLease = lease(onFollower);
    CampaignResponse won = await(follower.campaign(name, firstLease, bs("p1")));
    LeaderKey first = won.getLeader();
    assertEquals("election/" + Long.toHexString(firstLease), str(first.getKey()));
    assertEquals(firstLease, first.getLease());
    assertEquals("p1", str(await(leader.leader(name)).getKv().getValue()));

    Observed observed = new Observed();
    leader.observe(name, observed);
    assertEquals("p1", observed.next());

    long secondLease = lease(onLeader);
    CompletableFuture<CampaignResponse> campaigning = leader.campaign(name, secondLease, bs("p2"));
    awaitKeys("election/", 2);
    assertFalse(campaigning.isDone(), "the second candidate won while the first led");

    await(follower.proclaim(first, bs("p1b")));
    assertEquals("p1b", observed.next());
    assertEquals("p1b", str(await(leader.leader(name)).getKv().getValue()));

    await(follower.resign(first));
    LeaderKey second = await(campaigning).getLeader();
    assertEquals("election/" + Long.toHexString(secondLease), str(second.getKey()));
    assertTrue(second.getRevision() > first.getRevision(), second.getRevision() + " after " + first.getRevision());
    assertEquals("p2", observed.next());
    assertEquals("p2", str(await(follower.leader(name)).getKv().getValue()));

    // The former leader's key no longer leads: it can proclaim nothing, and its resignation changes nothing.
    assertInstanceOf(NotLeaderException.class, cause(follower.proclaim(first, bs("stale"))));
    await(follower.resign(first));
    assertEquals("p2", str(await(follower.leader(name)).getKv().getValue()));

    await(leader.resign(second));
    assertInstanceOf(NoLeaderException.class, cause(follower.leader(name)));
    assertEquals(null, observed.leaders.poll(), "no leader is observed while there is none");
  }
}
