package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static io.pekkoraft.etcd.EtcdTestCluster.failure;
import static io.pekkoraft.etcd.EtcdTestCluster.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcd's Lease API driven by jetcd against three members: a lease kept alive through a follower lives on (across
 * a leader change too), one no longer kept alive is revoked by the leader through the log and its keys deleted.
 * Waits are for events (keep-alive answers counted, the revocation seen applied), bounded by generous timeouts.
 */
class EtcdLeaseJetcdTest {

  static EtcdTestCluster etcd;

  @BeforeAll
  static void start() throws Exception {
    etcd = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) etcd.close();
  }

  /** Completes with the log index at which member {@code member} applies the revocation of lease {@code id}. */
  static CompletableFuture<Long> revocationApplied(String member, long id) {
    var system = etcd.cluster.system(member);
    return PekkoRaftEtcd.get(system).group().watchApplied(1)
        .filter(c -> (c.command() instanceof EtcdCommand.LeaseRevoke r && r.id() == id
            || c.command() instanceof EtcdCommand.LeaseExpire x && x.id() == id)
            && c.result() instanceof EtcdResult.Done)
        .map(c -> c.index())
        .runWith(Sink.head(), system).toCompletableFuture();
  }

  /** Keeps lease {@code id} alive through {@code client}, counting the answers with a TTL. */
  static final class KeepAlive implements StreamObserver<LeaseKeepAliveResponse> {
    final AtomicInteger answers = new AtomicInteger();
    volatile CountDownLatch next = new CountDownLatch(1);
    volatile Throwable failed;
    final CloseableClient stream;

    KeepAlive(Client client, long id) {
      stream = client.getLeaseClient().keepAlive(id, this);
    }

    @Override
    public void onNext(LeaseKeepAliveResponse r) {
      if (r.getTTL() > 0) answers.incrementAndGet();
      next.countDown();
    }

    @Override
    public void onError(Throwable t) {
      failed = t;
    }

    @Override
    public void onCompleted() {}

    /** Waits for {@code n} more answers with a TTL (each some 1/3 TTL apart). */
    void awaitAnswers(int n) throws InterruptedException {
      int target = answers.get() + n;
      long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (answers.get() < target) {
        next = new CountDownLatch(1);
        if (answers.get() >= target) break;
        assertTrue(next.await(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS), "no keep-alive answer");
        assertTrue(System.nanoTime() < bound, "keep-alive answers too slow; failure: " + failed);
      }
    }
  }

  @Test
  void aLeaseKeptAliveThroughAFollowerLivesAndIsRevokedWithItsKeysOnceNobodyKeepsItAlive() throws Exception {
    String follower = etcd.follower();
    Client client = etcd.client(follower);
    var granted = await(client.getLeaseClient().grant(1));
    long id = granted.getID();
    assertEquals(2, granted.getTTL(), "a TTL below the minimum is raised to it (1.5 election timeouts, 2 s)");
    await(client.getKVClient().put(bs("lease/a"), bs("1"), PutOption.builder().withLeaseId(id).build()));
    await(client.getKVClient().put(bs("lease/b"), bs("2"), PutOption.builder().withLeaseId(id).build()));
    CompletableFuture<Long> revoked = revocationApplied(etcd.leader(), id);

    KeepAlive keepAlive = new KeepAlive(client, id);
    keepAlive.awaitAnswers(9); // about three TTLs
    assertFalse(revoked.isDone(), "a lease kept alive is not revoked");
    LeaseTimeToLiveResponse ttl = await(etcd.client(etcd.leader()).getLeaseClient()
        .timeToLive(id, LeaseOption.newBuilder().withAttachedKeys().build()));
    assertEquals(2, ttl.getGrantedTTL());
    assertTrue(ttl.getTTL() >= 0 && ttl.getTTL() <= 2, "remaining TTL from the leader's deadline: " + ttl.getTTL());
    assertEquals(List.of("lease/a", "lease/b"), ttl.getKeys().stream().map(EtcdTestCluster::str).toList());
    assertEquals(2, await(client.getKVClient().get(bs("lease/a"))).getCount()
        + await(client.getKVClient().get(bs("lease/b"))).getCount());

    keepAlive.stream.close();
    await(revoked);
    assertEquals(0, await(client.getKVClient().get(bs("lease/a"))).getCount(), "its keys are deleted");
    assertEquals(0, await(client.getKVClient().get(bs("lease/b"))).getCount());
    assertEquals(-1, await(client.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL(),
        "a lease that is gone: TTL -1, as etcd answers");
    assertEquals(0, await(client.getLeaseClient().keepAliveOnce(id).exceptionally(t -> null)) == null ? 0 : 1,
        "a keep-alive of a lease that is gone is no renewal");
  }

  @Test
  void revokeDeletesTheKeysAndARevokedOrUnknownLeaseIsNotFound() throws Exception {
    Client client = etcd.client(etcd.follower());
    long id = await(client.getLeaseClient().grant(60)).getID();
    var put = await(client.getKVClient().put(bs("revoke/a"), bs("1"), PutOption.builder().withLeaseId(id).build()));
    var revoke = await(client.getLeaseClient().revoke(id));
    assertEquals(put.getHeader().getRevision() + 1, revoke.getHeader().getRevision(), "keys deleted at one revision");
    assertEquals(0, await(client.getKVClient().get(bs("revoke/a"))).getCount());
    // jetcd's lease client reports the gRPC status with its code in front.
    assertEquals("NOT_FOUND: etcdserver: requested lease not found", failure(client.getLeaseClient().revoke(id)));
    assertEquals("NOT_FOUND: etcdserver: requested lease not found", failure(client.getKVClient().put(bs("revoke/b"), bs("1"),
        PutOption.builder().withLeaseId(id).build())));
    assertEquals("OUT_OF_RANGE: etcdserver: too large lease TTL", failure(client.getLeaseClient().grant(9_000_000_001L)));
  }

  @Test
  void aLeaderChangeWhileKeepAlivesGoOnDoesNotExpireTheLease() throws Exception {
    String leader = etcd.leader();
    String target = etcd.cluster.memberIds().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
    String bystander = etcd.cluster.memberIds().stream().filter(m -> !m.equals(leader) && !m.equals(target))
        .findFirst().orElseThrow();
    Client client = etcd.client(bystander);
    long id = await(client.getLeaseClient().grant(2)).getID();
    await(client.getKVClient().put(bs("handover/a"), bs("1"), PutOption.builder().withLeaseId(id).build()));
    CompletableFuture<Long> revoked = revocationApplied(bystander, id);
    KeepAlive keepAlive = new KeepAlive(client, id);
    keepAlive.awaitAnswers(3);

    assertEquals(target, await(PekkoRaftEtcd.get(etcd.cluster.system(leader)).group().transferLeadership(target)
        .toCompletableFuture()));
    keepAlive.awaitAnswers(9); // three TTLs under the new leader
    assertFalse(revoked.isDone(), "the lease kept alive across the leader change was revoked at index "
        + revoked.getNow(null));
    assertEquals(1, await(client.getKVClient().get(bs("handover/a"))).getCount());
    assertTrue(await(etcd.client(target).getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL() >= 0);
    keepAlive.stream.close();
    await(revoked);
    assertEquals(0, await(client.getKVClient().get(bs("handover/a"))).getCount());
  }

  @Test
  void aLessorStartedOnTheLeaderAfterItsElectionLeadsToo() throws Exception {
    String leader = etcd.leader();
    var system = etcd.cluster.system(leader);
    var group = PekkoRaftEtcd.get(system).group();
    long id = await(etcd.client(leader).getLeaseClient().grant(30)).getID();
    // The RoleChanged of the election was published before this lessor subscribed: it asks the server instead.
    // (A child of a parent of the test's own, so that the test can stop it.)
    CompletableFuture<ActorRef<LessorActor.Command>> lessor = new CompletableFuture<>();
    ActorRef<String> parent = system.systemActorOf(Behaviors.<String>setup(ctx -> {
      lessor.complete(ctx.spawn(LessorActor.create(group, LeaseSettings.fromConfig(system.settings().config()),
          System::nanoTime), "lessor"));
      return Behaviors.receiveMessage(stop -> Behaviors.stopped());
    }), "late-lessor", Props.empty());
    try {
      LessorActor.KeepAliveAnswer answer = AskPattern.<LessorActor.Command, LessorActor.KeepAliveAnswer>ask(
          await(lessor), replyTo -> new LessorActor.KeepAlive(id, replyTo, 0), EtcdTestCluster.STEP,
          system.scheduler()).toCompletableFuture().get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
      assertEquals(new LessorActor.KeepAliveAnswer(id, 30, answer.revision(), answer.raftTerm(), false), answer);
    } finally {
      parent.tell("stop");
      await(etcd.client(leader).getLeaseClient().revoke(id));
    }
  }
}
