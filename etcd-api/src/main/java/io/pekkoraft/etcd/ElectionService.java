package io.pekkoraft.etcd;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.pekkoraft.etcd.api.CampaignRequest;
import io.pekkoraft.etcd.api.CampaignResponse;
import io.pekkoraft.etcd.api.Compare;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.Election;
import io.pekkoraft.etcd.api.KeyValue;
import io.pekkoraft.etcd.api.LeaderKey;
import io.pekkoraft.etcd.api.LeaderRequest;
import io.pekkoraft.etcd.api.LeaderResponse;
import io.pekkoraft.etcd.api.ProclaimRequest;
import io.pekkoraft.etcd.api.ProclaimResponse;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.ResignRequest;
import io.pekkoraft.etcd.api.ResignResponse;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import io.pekkoraft.etcd.api.WatchCreateRequest;
import io.pekkoraft.etcd.api.WatchRequest;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Source;

/**
 * etcd's {@code v3electionpb.Election}: the election NAME is the {@link KeyQueue} under {@code NAME/}, its leader
 * the owner of the oldest key. {@code Campaign} puts {@code NAME/<lease hex>} with the proposal and the request's
 * lease (a key of that lease already there gets the new proposal, as etcd's Campaign proclaims it), waits until it
 * is the oldest, and answers the {@link LeaderKey} (name, key, create revision, lease) that {@code Proclaim} and
 * {@code Resign} take: both act only while that key still has that create revision (a Txn compare), so a former
 * leader can change nothing. {@code Leader} reads the oldest key; {@code Observe} streams it, then again each time a
 * write under the prefix changes it (a new leader, or the leader's new proposal), never while there is none.
 * Errors as etcd's: UNKNOWN "election: not leader" (Proclaim), "election: no leader" (Leader); a campaign whose
 * wait fails resigns. A watch of Observe cancelled by a compaction ends the stream UNAVAILABLE (clients observe
 * again).
 */
final class ElectionService implements Election {

  static final String NOT_LEADER = "election: not leader";
  static final String NO_LEADER = "election: no leader";

  private final KeyQueue queue;

  ElectionService(KeyQueue queue) {
    this.queue = queue;
  }

  private static ByteString prefix(ByteString name) {
    return name.concat(ByteString.copyFromUtf8("/"));
  }

  @Override
  public CompletionStage<CampaignResponse> campaign(CampaignRequest in) {
    ByteString prefix = prefix(in.getName());
    return queue.session(in.getLease()).thenCompose(lease -> {
      ByteString key = KeyQueue.key(prefix, lease);
      return queue.enqueue(key, in.getValue(), lease).thenCompose(put -> {
        LeaderKey leader;
        CompletionStage<ResponseHeader> proclaimed;
        if (put.getSucceeded()) {
          leader = leaderKey(in.getName(), key, put.getHeader().getRevision(), lease);
          proclaimed = java.util.concurrent.CompletableFuture.completedFuture(put.getHeader());
        } else {
          KeyValue existing = put.getResponses(0).getResponseRange().getKvs(0);
          leader = leaderKey(in.getName(), key, existing.getCreateRevision(), lease);
          proclaimed = existing.getValue().equals(in.getValue())
              ? java.util.concurrent.CompletableFuture.completedFuture(put.getHeader())
              : proclaim(leader, in.getValue());
        }
        return proclaimed
            .thenCompose(header -> queue.awaitTurn(prefix, key, leader.getRev(), header.getRevision()))
            .thenApply(header -> CampaignResponse.newBuilder().setHeader(header).setLeader(leader).build())
            .exceptionallyCompose(failure -> resign(leader).handle((resigned, ignored) -> {
              throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }));
      });
    });
  }

  private static LeaderKey leaderKey(ByteString name, ByteString key, long rev, long lease) {
    return LeaderKey.newBuilder().setName(name).setKey(key).setRev(rev).setLease(lease).build();
  }

  @Override
  public CompletionStage<ProclaimResponse> proclaim(ProclaimRequest in) {
    return proclaim(in.getLeader(), in.getValue())
        .thenApply(header -> ProclaimResponse.newBuilder().setHeader(header).build());
  }

  /** Puts {@code value} on the leader's key if it is still the key created at the leader's revision. */
  private CompletionStage<ResponseHeader> proclaim(LeaderKey leader, ByteString value) {
    return stillLeader(leader, RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(leader.getKey())
        .setValue(value).setLease(leader.getLease())).build())
        .thenApply(txn -> {
          if (!txn.getSucceeded()) throw new GrpcServiceException(Status.UNKNOWN.withDescription(NOT_LEADER));
          return txn.getHeader();
        });
  }

  private CompletionStage<TxnResponse> stillLeader(LeaderKey leader, RequestOp then) {
    return queue.kv().txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(leader.getKey()).setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.EQUAL).setCreateRevision(leader.getRev()))
        .addSuccess(then)
        .build(), KeyQueue.NO_CLIENT);
  }

  @Override
  public CompletionStage<ResignResponse> resign(ResignRequest in) {
    return resign(in.getLeader()).thenApply(txn -> ResignResponse.newBuilder().setHeader(txn.getHeader()).build());
  }

  /** Deletes the leader's key if it is still the one created at the leader's revision; nothing otherwise. */
  private CompletionStage<TxnResponse> resign(LeaderKey leader) {
    return stillLeader(leader, RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder()
        .setKey(leader.getKey())).build());
  }

  @Override
  public CompletionStage<LeaderResponse> leader(LeaderRequest in) {
    return queue.oldest(prefix(in.getName())).thenApply(oldest -> {
      if (oldest.getKvsCount() == 0) throw new GrpcServiceException(Status.UNKNOWN.withDescription(NO_LEADER));
      return LeaderResponse.newBuilder().setHeader(oldest.getHeader()).setKv(oldest.getKvs(0)).build();
    });
  }

  @Override
  public Source<LeaderResponse, NotUsed> observe(LeaderRequest in) {
    ByteString prefix = prefix(in.getName());
    return Source.completionStage(queue.oldest(prefix)).flatMapConcat(first -> {
      WatchRequest create = WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
          .setKey(prefix).setRangeEnd(KeyQueue.prefixEnd(prefix))
          .setStartRevision(first.getHeader().getRevision() + 1)).build();
      Source<RangeResponse, NotUsed> later = queue.watch().watch(Source.single(create)
              .concat(Source.<WatchRequest>never()))
          .filter(r -> r.getCanceled() || r.getEventsCount() > 0)
          .mapAsync(1, r -> {
            if (r.getCanceled()) {
              throw new GrpcServiceException(Status.UNAVAILABLE.withDescription(
                  "etcdserver: the observed election's watch was cancelled (compacted at "
                      + r.getCompactRevision() + "): observe again"));
            }
            return queue.oldest(prefix);
          });
      return Source.single(first).concat(later);
    })
        .filter(r -> r.getKvsCount() > 0)
        .statefulMapConcat(() -> {
          KeyValue[] last = new KeyValue[1];
          return r -> {
            KeyValue kv = r.getKvs(0);
            if (last[0] != null && last[0].getKey().equals(kv.getKey())
                && last[0].getModRevision() == kv.getModRevision()) {
              return List.of();
            }
            last[0] = kv;
            return List.of(LeaderResponse.newBuilder().setHeader(r.getHeader()).setKv(kv).build());
          };
        });
  }
}
