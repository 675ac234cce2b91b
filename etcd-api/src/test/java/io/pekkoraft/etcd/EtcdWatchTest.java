package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static io.pekkoraft.etcd.EtcdTestCluster.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * etcd's Watch against three members: raw Watch streams (the wire as etcd clients see it: several watches on one
 * stream, their ids, created responses first, cancel, progress) and jetcd, including a watch resumed on another
 * member after the serving one is terminated. Each test uses keys of its own and starts from revisions it wrote.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdWatchTest {

  static EtcdTestCluster etcd;

  @BeforeAll
  static void start() throws Exception {
    etcd = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) etcd.close();
  }

  static long put(String key, String value) throws Exception {
    return await(etcd.client(etcd.leader()).getKVClient().put(bs(key), bs(value))).getHeader().getRevision();
  }

  static long delete(String key) throws Exception {
    return await(etcd.client(etcd.leader()).getKVClient().delete(bs(key))).getHeader().getRevision();
  }

  /** A member that has applied everything written so far (a linearizable read through it waits for that). */
  static String caughtUp(String member) throws Exception {
    await(etcd.client(member).getKVClient().get(bs("any")));
    return member;
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** One raw Watch stream to a member, as etcd's Go client opens it. */
  static final class RawStream implements AutoCloseable {
    final ManagedChannel channel;
    final StreamObserver<WatchRequest> requests;
    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final List<Object> seen = new ArrayList<>();

    RawStream(String member) {
      channel = ManagedChannelBuilder.forAddress("127.0.0.1", etcd.ports.get(member)).usePlaintext().build();
      requests = WatchGrpc.newStub(channel).watch(new StreamObserver<>() {
        @Override
        public void onNext(WatchResponse value) {
          received.add(value);
        }

        @Override
        public void onError(Throwable t) {
          received.add(t);
        }

        @Override
        public void onCompleted() {
          received.add("completed");
        }
      });
    }

    void create(WatchCreateRequest.Builder create) {
      requests.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
    }

    WatchResponse next() throws InterruptedException {
      Object next = received.poll(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(next, "no watch response within " + EtcdTestCluster.STEP + " (seen: " + seen + ")");
      seen.add(next);
      return assertInstanceOf(WatchResponse.class, next, "the stream ended: " + next);
    }

    @Override
    public void close() {
      requests.onCompleted();
      channel.shutdownNow();
    }
  }

  /** "TYPE key=value@revision", and "(prev value)" when prev_kv is there: one event, readable in a failure. */
  static String describe(Event e) {
    return e.getType() + " " + e.getKv().getKey().toStringUtf8() + "=" + e.getKv().getValue().toStringUtf8() + "@"
        + e.getKv().getModRevision() + (e.hasPrevKv() ? " (prev " + e.getPrevKv().getValue().toStringUtf8() + ")" : "");
  }

  static String describe(WatchEvent e) {
    return e.getEventType() + " " + str(e.getKeyValue().getKey()) + "=" + str(e.getKeyValue().getValue()) + "@"
        + e.getKeyValue().getModRevision();
  }

  @Test
  @Order(1)
  void aKeyAPrefixAndEverythingFromAKeyOnOneStreamFromHistoryThenLive() throws Exception {
    long r1 = put("p/a", "1");
    put("p/b", "1");
    put("p/a", "2");
    delete("p/b");
    put("q/z", "1");
    try (RawStream stream = new RawStream(etcd.follower())) {
      stream.create(WatchCreateRequest.newBuilder().setKey(b("p/a")).setStartRevision(r1));
      stream.create(WatchCreateRequest.newBuilder().setKey(b("p/")).setRangeEnd(b("p0")).setStartRevision(r1)
          .setPrevKv(true));
      stream.create(WatchCreateRequest.newBuilder().setKey(b("p/b")).setRangeEnd(ByteString.copyFrom(new byte[] {0}))
          .setStartRevision(r1).addFilters(WatchCreateRequest.FilterType.NOPUT));
      // created responses come in the order of the requests, and a watch's events after its created response
      Map<Long, List<String>> events = new HashMap<>();
      List<Long> created = new ArrayList<>();
      long live = 0;
      int seen = 0;
      while (seen < 3 + 5 + 1) {
        WatchResponse r = stream.next();
        if (r.getCreated()) {
          created.add(r.getWatchId());
          if (created.size() == 3) live = put("p/a", "3");
          continue;
        }
        assertTrue(created.contains(r.getWatchId()), "events of watch " + r.getWatchId() + " before it was created");
        for (Event e : r.getEventsList()) {
          events.computeIfAbsent(r.getWatchId(), id -> new ArrayList<>()).add(describe(e));
          seen++;
        }
      }
      assertEquals(List.of(0L, 1L, 2L), created);
      assertEquals(List.of("PUT p/a=1@" + r1, "PUT p/a=2@" + (r1 + 2), "PUT p/a=3@" + live), events.get(0L));
      assertEquals(List.of("PUT p/a=1@" + r1, "PUT p/b=1@" + (r1 + 1), "PUT p/a=2@" + (r1 + 2) + " (prev 1)",
          "DELETE p/b=@" + (r1 + 3) + " (prev 1)", "PUT p/a=3@" + live + " (prev 2)"), events.get(1L));
      assertEquals(List.of("DELETE p/b=@" + (r1 + 3)), events.get(2L));
      assertTrue(stream.received.isEmpty(), "nothing more: " + stream.received);
    }
  }

  @Test
  @Order(2)
  void idsCancelAndProgressOnOneStream() throws Exception {
    long r1 = put("c/a", "1");
    try (RawStream stream = new RawStream(etcd.leader())) {
      WatchCreateRequest.Builder withId7 = WatchCreateRequest.newBuilder().setKey(b("c/a"))
          .setUnknownFields(UnknownFieldSet.newBuilder().addField(7,
              UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build());
      stream.create(withId7);
      WatchResponse created = stream.next();
      assertTrue(created.getCreated());
      assertEquals(7, created.getWatchId());
      assertEquals(r1, created.getHeader().getRevision());
      stream.create(withId7);
      WatchResponse duplicate = stream.next();
      assertTrue(duplicate.getCreated() && duplicate.getCanceled());
      assertEquals(-1, duplicate.getWatchId());
      assertEquals(WatchService.DUPLICATE_ID_REASON, duplicate.getCancelReason());
      stream.create(WatchCreateRequest.newBuilder().setKey(b("c/b")).setRangeEnd(b("c/a")));
      assertEquals(WatchService.EMPTY_RANGE_REASON, stream.next().getCancelReason());
      stream.create(WatchCreateRequest.newBuilder().setKey(b("c/a")));
      assertEquals(0, stream.next().getWatchId());

      long r2 = put("c/a", "2");
      for (int watch = 0; watch < 2; watch++) assertEquals(r2, stream.next().getEvents(0).getKv().getModRevision());
      stream.requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance())
          .build());
      WatchResponse progress = stream.next();
      assertEquals(-1, progress.getWatchId());
      assertEquals(r2, progress.getHeader().getRevision());
      assertEquals(0, progress.getEventsCount());

      stream.requests.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(7))
          .build());
      WatchResponse canceled = stream.next();
      assertTrue(canceled.getCanceled());
      assertEquals(7, canceled.getWatchId());
      long r3 = put("c/a", "3");
      WatchResponse only = stream.next();
      assertEquals(0, only.getWatchId(), "the cancelled watch got no more events");
      assertEquals(r3, only.getEvents(0).getKv().getModRevision());
    }
  }

  @Test
  @Order(3)
  void progressNotifyWhenIdle() throws Exception {
    long r1 = put("n/a", "1");
    try (RawStream stream = new RawStream(caughtUp(etcd.follower()))) {
      stream.create(WatchCreateRequest.newBuilder().setKey(b("n/a")).setProgressNotify(true));
      assertTrue(stream.next().getCreated());
      // the test configuration's interval is 1 s: an empty response with the revision reached, for this watch
      WatchResponse progress = stream.next();
      assertEquals(0, progress.getWatchId());
      assertEquals(0, progress.getEventsCount());
      assertTrue(progress.getHeader().getRevision() >= r1);
      assertTrue(!progress.getCanceled() && !progress.getCreated());
    }
  }

  @Test
  @Order(4)
  void aCompactedStartRevisionIsCancelledWithTheCompactRevision() throws Exception {
    long r1 = put("k/a", "1");
    long r2 = put("k/a", "2");
    await(etcd.client(etcd.leader()).getKVClient().compact(r2));
    try (RawStream stream = new RawStream(caughtUp(etcd.follower()))) {
      stream.create(WatchCreateRequest.newBuilder().setKey(b("k/a")).setStartRevision(r1));
      WatchResponse created = stream.next();
      assertTrue(created.getCreated() && !created.getCanceled());
      WatchResponse compacted = stream.next();
      assertEquals(created.getWatchId(), compacted.getWatchId());
      assertTrue(compacted.getCanceled());
      assertEquals(r2, compacted.getCompactRevision());
      assertEquals(WatchService.COMPACTED_REASON, compacted.getCancelReason());
      // from the compaction revision on, history is there
      stream.create(WatchCreateRequest.newBuilder().setKey(b("k/a")).setStartRevision(r2).setPrevKv(true));
      assertTrue(stream.next().getCreated());
      WatchResponse events = stream.next();
      assertEquals(r2, events.getEvents(0).getKv().getModRevision());
      assertTrue(!events.getEvents(0).hasPrevKv(), "etcd has no prev_kv below the compaction revision");
    }
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    etcd.client(etcd.leader()).getWatchClient().watch(bs("k/a"), WatchOption.builder().withRevision(r1).build(),
        r -> { }, error::complete);
    CompactedException compacted = assertInstanceOf(CompactedException.class, await(error));
    assertEquals(r2, compacted.getCompactedRevision());
  }

  @Test
  @Order(5)
  void jetcdWatchesAKeyAndAPrefixWithPrevKvFiltersAndAFutureStart() throws Exception {
    long r1 = put("j/a", "1");
    Client client = etcd.client(etcd.follower());
    BlockingQueue<String> key = new LinkedBlockingQueue<>();
    BlockingQueue<String> prefix = new LinkedBlockingQueue<>();
    BlockingQueue<String> deletes = new LinkedBlockingQueue<>();
    BlockingQueue<String> future = new LinkedBlockingQueue<>();
    var watchClient = client.getWatchClient();
    try (var w1 = watchClient.watch(bs("j/a"), WatchOption.builder().withRevision(r1).build(),
            r -> r.getEvents().forEach(e -> key.add(describe(e))));
        var w2 = watchClient.watch(bs("j/"), WatchOption.builder().isPrefix(true).withRevision(r1).withPrevKV(true)
            .build(), r -> r.getEvents().forEach(e -> prefix.add(describe(e) + " prev "
                + str(e.getPrevKV().getValue()))));
        var w3 = watchClient.watch(bs("j/"), WatchOption.builder().isPrefix(true).withNoPut(true).build(),
            r -> r.getEvents().forEach(e -> deletes.add(describe(e))));
        var w4 = watchClient.watch(bs("j/"), WatchOption.builder().isPrefix(true).withRevision(r1 + 3).build(),
            r -> r.getEvents().forEach(e -> future.add(describe(e))))) {
      long r2 = put("j/b", "1");
      long r3 = delete("j/a");
      long r4 = put("j/b", "2");
      assertEquals(List.of("PUT j/a=1@" + r1), take(key, 1));
      assertEquals(List.of("DELETE j/a=@" + r3), take(key, 1));
      assertEquals(List.of("PUT j/a=1@" + r1 + " prev ", "PUT j/b=1@" + r2 + " prev ",
          "DELETE j/a=@" + r3 + " prev 1", "PUT j/b=2@" + r4 + " prev 1"), take(prefix, 4));
      assertEquals(List.of("DELETE j/a=@" + r3), take(deletes, 1));
      assertEquals(List.of("PUT j/b=2@" + r4), take(future, 1));
    }
  }

  static List<String> take(BlockingQueue<String> queue, int n) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String next = queue.poll(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(next, "only " + out + " within " + EtcdTestCluster.STEP);
      out.add(next);
    }
    return out;
  }

  @Test
  @Order(100)
  void aWatchResumedOnAnotherMemberAfterTheServingOneIsTerminatedSeesEveryRevisionOnce() throws Exception {
    String serving = etcd.follower();
    String leader = etcd.leader();
    String other = etcd.cluster.memberIds().stream().filter(m -> !m.equals(serving) && !m.equals(leader))
        .findFirst().orElseThrow();
    long first = put("r/0", "0");
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    List<Long> revisions = new ArrayList<>();
    Client servingClient = etcd.client(serving);
    servingClient.getWatchClient().watch(bs("r/"), WatchOption.builder().isPrefix(true).withRevision(first).build(),
        r -> r.getEvents().forEach(e -> seen.add(describe(e))));
    List<Long> written = new ArrayList<>(List.of(first));
    for (int i = 1; i < 5; i++) written.add(put("r/" + i, "" + i));
    for (String e : take(seen, 5)) revisions.add(Long.parseLong(e.substring(e.indexOf('@') + 1)));
    etcd.cluster.terminate(serving).get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
    etcd.closeClient(serving);
    for (int i = 5; i < 10; i++) written.add(put("r/" + i, "" + i)); // while no watch runs: from history
    long last = revisions.get(revisions.size() - 1);
    BlockingQueue<String> resumed = new LinkedBlockingQueue<>();
    etcd.client(other).getWatchClient().watch(bs("r/"), WatchOption.builder().isPrefix(true).withRevision(last + 1)
        .build(), r -> r.getEvents().forEach(e -> resumed.add(describe(e))));
    for (int i = 10; i < 15; i++) written.add(put("r/" + i, "" + i)); // live, or history: no gap, no repeat
    for (String e : take(resumed, 10)) revisions.add(Long.parseLong(e.substring(e.indexOf('@') + 1)));
    assertEquals(written, revisions, "every revision once, in order, across the two members");
    assertEquals(null, resumed.poll(1, TimeUnit.SECONDS), "nothing more");
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
