package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A watch whose member no longer holds the next applied command it needs (pekko-raft.watch.buffer-entries = 1,
 * and bursts of concurrent writes) reads the event log again from the revision after the last one it took: the
 * stream goes on, with every revision once and in order.
 */
class EtcdWatchFallbackTest {

  static final int WRITES = 60;

  @Test
  void aWatchBehindTheAppliedRingReadsHistoryAgainWithoutGapOrRepeat() throws Exception {
    try (EtcdTestCluster etcd = new EtcdTestCluster(ConfigFactory.parseString(
            "pekko-raft.watch.buffer-entries = 1\npekko-raft.etcd.watch.catch-up-revisions = 2"))) {
      Client leader = etcd.client(etcd.leader());
      long first = await(leader.getKVClient().put(bs("f/start"), bs("0"))).getHeader().getRevision();
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", etcd.ports.get(etcd.follower()))
          .usePlaintext().build();
      BlockingQueue<Object> received = new LinkedBlockingQueue<>();
      try {
        // The client takes one response, then nothing until every write is done: the server's stream is held
        // back (HTTP/2 flow control), and with it the watch's reading of what its member applies.
        AtomicReference<ClientCallStreamObserver<WatchRequest>> call = new AtomicReference<>();
        StreamObserver<WatchRequest> requests = WatchGrpc.newStub(channel).watch(new ClientResponseObserver<
            WatchRequest, WatchResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
            requestStream.disableAutoRequestWithInitial(1);
            call.set(requestStream);
          }

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
        // The watch is live (it starts after the last revision written), its created response taken; then
        // concurrent writes, which the log carries in batches, applied while the watch cannot send.
        requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("f/")).setRangeEnd(ByteString.copyFromUtf8("f0"))
            .setStartRevision(first + 1)).build());
        Object created = received.poll(30, TimeUnit.SECONDS);
        assertEquals(true, assertInstanceOf(WatchResponse.class, created, "no created response").getCreated());
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (int i = 0; i < WRITES; i++) writes.add(leader.getKVClient().put(bs("f/" + i), value(i)));
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        call.get().request(Integer.MAX_VALUE);
        List<Long> revisions = new ArrayList<>();
        while (revisions.size() < WRITES) {
          Object next = received.poll(30, TimeUnit.SECONDS);
          assertNotNull(next, "only revisions " + revisions + " within 30 s");
          WatchResponse response = assertInstanceOf(WatchResponse.class, next, "the stream ended: " + next);
          for (Event e : response.getEventsList()) revisions.add(e.getKv().getModRevision());
        }
        List<Long> expected = new ArrayList<>();
        for (long r = first + 1; r <= first + WRITES; r++) expected.add(r);
        assertEquals(expected, revisions, "every revision once, in order");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** 40 KB: a few dozen of them are more than the HTTP/2 flow-control window the client grants. */
  static ByteSequence value(int i) {
    return bs(String.valueOf(i).repeat(40_000 / String.valueOf(i).length()));
  }
}
