package io.pekkoraft.etcd;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.pekkoraft.etcd.api.Compare;
import io.pekkoraft.etcd.api.Event;
import io.pekkoraft.etcd.api.KVPowerApi;
import io.pekkoraft.etcd.api.KeyValue;
import io.pekkoraft.etcd.api.LeasePowerApi;
import io.pekkoraft.etcd.api.LeaseGrantRequest;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import io.pekkoraft.etcd.api.Watch;
import io.pekkoraft.etcd.api.WatchCreateRequest;
import io.pekkoraft.etcd.api.WatchRequest;
import io.pekkoraft.etcd.api.WatchResponse;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The queue under a prefix on which etcd's Lock and Election stand, as etcd's clientv3 concurrency builds them: each
 * participant's key is {@code prefix + lease id in hex}, attached to its lease, and participants take turns in the
 * order of their keys' create revisions; the oldest key's owner holds the lock or leads. Built on this member's
 * {@link KVPowerApi KV} and {@link Watch} services (the same calls a client would make, so every write goes through the log):
 * {@link #enqueue} creates the key once (a Txn on create_revision 0), {@link #awaitTurn} waits, by a watch for
 * deletions under the prefix, until the key is the oldest.
 */
final class KeyQueue {

  /** etcd's ErrSessionExpired: the waiting key was deleted (its lease expired or was revoked) before its turn. */
  static final String SESSION_EXPIRED = "mutex: session is expired";

  /** The TTL of the lease granted for a request without one (lease 0), as etcd's concurrency session's default. */
  static final long DEFAULT_SESSION_TTL_SECONDS = 60;

  /** The calls of this member's own services carry no client deadline: the server's timeout bounds them. */
  static final Metadata NO_CLIENT = MetadataBuilder.empty();

  private final KVPowerApi kv;
  private final Watch watch;
  private final LeasePowerApi leases;
  private final Materializer mat;

  KeyQueue(KVPowerApi kv, Watch watch, LeasePowerApi leases, Materializer mat) {
    this.kv = kv;
    this.watch = watch;
    this.leases = leases;
    this.mat = mat;
  }

  KVPowerApi kv() {
    return kv;
  }

  Watch watch() {
    return watch;
  }

  /**
   * The lease the participant's key is attached to: {@code lease} itself, or for 0 a new lease of
   * {@link #DEFAULT_SESSION_TTL_SECONDS} that nobody keeps alive (as etcd's server does for a request without one).
   */
  CompletionStage<Long> session(long lease) {
    if (lease != 0) return CompletableFuture.completedFuture(lease);
    return leases.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(DEFAULT_SESSION_TTL_SECONDS).build(), NO_CLIENT)
        .thenApply(LeaseGrantResponse::getID);
  }

  /** The participant's key: the prefix and the lease id in lower-case hex, as etcd's concurrency package names it. */
  static ByteString key(ByteString prefix, long lease) {
    return prefix.concat(ByteString.copyFromUtf8(Long.toHexString(lease)));
  }

  /** etcd's end of the range of a prefix: its last byte below 0xff increased, the rest cut; "\0" for all 0xff. */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  /**
   * Creates {@code key} with {@code value} and {@code lease} unless it exists (then reads it): the Txn's
   * {@code succeeded} says which, the response to its one op holds the Put's or the Range's answer.
   */
  CompletionStage<TxnResponse> enqueue(ByteString key, ByteString value, long lease) {
    return kv.txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value)
            .setLease(lease)))
        .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
        .build(), NO_CLIENT);
  }

  /** The oldest key under the prefix (smallest create revision), if any: the lock's holder, the leader. */
  CompletionStage<RangeResponse> oldest(ByteString prefix) {
    return kv.range(oldestRequest(prefix), NO_CLIENT);
  }

  private static RangeRequest oldestRequest(ByteString prefix) {
    return RangeRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd(prefix)).setLimit(1)
        .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(RangeRequest.SortOrder.ASCEND).build();
  }

  /**
   * Completes with the header of the read that found {@code key} (created at {@code createRevision}) the oldest
   * under {@code prefix}; fails with {@link #SESSION_EXPIRED} when the key is gone before that. Waits by a watch
   * for deletions under the prefix from {@code afterRevision + 1} on, each deletion followed by one linearizable
   * read of the oldest key and of {@code key}.
   */
  CompletionStage<ResponseHeader> awaitTurn(ByteString prefix, ByteString key, long createRevision,
      long afterRevision) {
    return check(prefix, key, createRevision).thenCompose(now -> {
      if (now.turn()) return CompletableFuture.completedFuture(now.header());
      WatchRequest create = WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
          .setKey(prefix).setRangeEnd(prefixEnd(prefix)).setStartRevision(afterRevision + 1)
          .addFilters(WatchCreateRequest.FilterType.NOPUT)).build();
      return watch.watch(Source.single(create).concat(Source.<WatchRequest>never()))
          .filter(r -> r.getCanceled() || r.getEventsList().stream().anyMatch(e -> e.getType() == Event.EventType.DELETE))
          .mapAsync(1, r -> r.getCanceled()
              // A compacted start: asked again from what the store holds now.
              ? awaitTurn(prefix, key, createRevision, now.header().getRevision()).thenApply(Optional::of)
              : check(prefix, key, createRevision).thenApply(c -> c.turn() ? Optional.of(c.header())
                  : Optional.<ResponseHeader>empty()))
          .filter(Optional::isPresent)
          .map(Optional::get)
          .runWith(Sink.head(), mat);
    });
  }

  private record Check(boolean turn, ResponseHeader header) {}

  /** One read: the oldest key under the prefix and {@code key}; fails when {@code key} is gone. */
  private CompletionStage<Check> check(ByteString prefix, ByteString key, long createRevision) {
    return kv.txn(TxnRequest.newBuilder()
            .addSuccess(RequestOp.newBuilder().setRequestRange(oldestRequest(prefix)))
            .addSuccess(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
            .build(), NO_CLIENT)
        .thenApply(r -> {
          RangeResponse mine = r.getResponses(1).getResponseRange();
          if (mine.getKvsCount() == 0 || mine.getKvs(0).getCreateRevision() != createRevision) {
            throw new GrpcServiceException(Status.UNKNOWN.withDescription(SESSION_EXPIRED));
          }
          RangeResponse oldest = r.getResponses(0).getResponseRange();
          KeyValue first = oldest.getKvs(0); // mine exists, so the prefix holds at least one key
          return new Check(first.getCreateRevision() == createRevision, r.getHeader());
        });
  }
}
