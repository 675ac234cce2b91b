package io.pekkoraft.etcd;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.grpc.Status;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReadOptions;
import io.pekkoraft.etcd.api.CompactionRequest;
import io.pekkoraft.etcd.api.CompactionResponse;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.DeleteRangeResponse;
import io.pekkoraft.etcd.api.KVPowerApi;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.PutResponse;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.etcd.kv.EtcdException;
import io.pekkoraft.etcd.kv.MvccStore;
import io.pekkoraft.gateway.CallDeadline;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * etcd's {@code etcdserverpb.KV} on the etcd group. How a call travels: the request is checked as etcd checks it
 * (empty key, Put flags, Txn size and duplicate keys, {@code max-request-bytes}), then a write (Put, DeleteRange,
 * a Txn that may write, Compact) is submitted through this member's {@link RaftGroup} handle, which numbers it in
 * its client session, so a retry after a lost answer is applied once, and forwards it to the leader; a Range (or a
 * Txn that only reads) is a query: LINEARIZABLE (ReadIndex) by default, STALE (this member's own state) when
 * {@code serializable}. The state machine answers the etcd response message as bytes, with the revision and Raft
 * term for the header; a refused request comes back as etcd's error. Each request is bounded by the client's
 * deadline ({@code grpc-timeout}, as {@link CallDeadline} reads it for the gateway's own service) when that is
 * shorter than {@code pekko-raft.client.ask-timeout}, the server's own timeout: etcd's "context deadline exceeded"
 * (DEADLINE_EXCEEDED) when the client's passed, "etcdserver: request timed out" when the server's did.
 */
final class KvService implements KVPowerApi {

  private final RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;
  private final EtcdSettings settings;
  private final long clusterId;
  private final long memberId;
  /** The server's own timeout for a request: {@code pekko-raft.client.ask-timeout}. */
  private final Duration askTimeout;

  KvService(RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group, EtcdSettings settings, Duration askTimeout) {
    this.group = group;
    this.settings = settings;
    this.askTimeout = askTimeout;
    this.clusterId = EtcdIds.clusterId(group.groupId());
    this.memberId = EtcdIds.memberId(group.memberId());
  }

  @Override
  public CompletionStage<RangeResponse> range(RangeRequest in, Metadata metadata) {
    if (in.getKey().isEmpty()) return refused(EtcdError.EMPTY_KEY);
    ReadConsistency consistency = in.getSerializable() ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
    return bounded(metadata, askTimeout, deadline -> answer(group.read(new EtcdQuery.Range(in.toByteArray()),
        ReadOptions.of(consistency), deadline.timeout()), deadline, RangeResponse::parseFrom,
        (r, header) -> r.toBuilder().setHeader(header).build()));
  }

  @Override
  public CompletionStage<PutResponse> put(PutRequest in, Metadata metadata) {
    try {
      if (in.getKey().isEmpty()) throw EtcdError.EMPTY_KEY.exception();
      MvccStore.checkPutFlags(in);
      return write(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestPut(in)).build(), metadata,
          (r, header) -> r.getResponses(0).getResponsePut().toBuilder().setHeader(header).build());
    } catch (EtcdException e) {
      return refused(e.error());
    }
  }

  @Override
  public CompletionStage<DeleteRangeResponse> deleteRange(DeleteRangeRequest in, Metadata metadata) {
    if (in.getKey().isEmpty()) return refused(EtcdError.EMPTY_KEY);
    return write(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestDeleteRange(in)).build(), metadata,
        (r, header) -> r.getResponses(0).getResponseDeleteRange().toBuilder().setHeader(header).build());
  }

  @Override
  public CompletionStage<TxnResponse> txn(TxnRequest in, Metadata metadata) {
    try {
      MvccStore.checkTxn(in, settings.maxTxnOps());
    } catch (EtcdException e) {
      return refused(e.error());
    }
    if (MvccStore.readOnly(in)) {
      ReadConsistency consistency = serializable(in) ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
      return bounded(metadata, askTimeout, deadline -> answer(group.read(new EtcdQuery.ReadTxn(in.toByteArray()),
          ReadOptions.of(consistency), deadline.timeout()), deadline, TxnResponse::parseFrom,
          (r, header) -> r.toBuilder().setHeader(header).build()));
    }
    return write(in, metadata, (r, header) -> r.toBuilder().setHeader(header).build());
  }

  /** As etcd: a read-only Txn is served locally when every range in it asks for a serializable read. */
  private static boolean serializable(TxnRequest txn) {
    for (java.util.List<RequestOp> branch : java.util.List.of(txn.getSuccessList(), txn.getFailureList())) {
      for (RequestOp op : branch) {
        if (op.hasRequestRange() && !op.getRequestRange().getSerializable()) return false;
        if (op.hasRequestTxn() && !serializable(op.getRequestTxn())) return false;
      }
    }
    return true;
  }

  @Override
  public CompletionStage<CompactionResponse> compact(CompactionRequest in, Metadata metadata) {
    // 'physical' is accepted: the store drops the compacted history at once, when the command is applied.
    return bounded(metadata, askTimeout, deadline -> answer(group.submit(new EtcdCommand.Compact(in.getRevision()),
        deadline.timeout()), deadline, CompactionResponse::parseFrom,
        (r, header) -> r.toBuilder().setHeader(header).build()));
  }

  private <T> CompletionStage<T> write(TxnRequest txn, Metadata metadata, Finisher<TxnResponse, T> finish) {
    byte[] bytes = txn.toByteArray();
    if (bytes.length > settings.maxRequestBytes()) return refused(EtcdError.REQUEST_TOO_LARGE);
    return bounded(metadata, askTimeout, deadline -> answer(group.submit(new EtcdCommand.Txn(bytes),
        deadline.timeout()), deadline, TxnResponse::parseFrom, finish));
  }

  /** {@code call} with the call's {@link #deadline}; a malformed {@code grpc-timeout} fails it (INVALID_ARGUMENT). */
  static <T> CompletionStage<T> bounded(Metadata metadata, Duration askTimeout,
      Function<CallDeadline, CompletionStage<T>> call) {
    CallDeadline deadline;
    try {
      deadline = deadline(metadata, askTimeout);
    } catch (GrpcServiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return call.apply(deadline);
  }

  /**
   * The time a request of this call is given: the client's deadline ({@code grpc-timeout}, less a margin so that
   * the answer reaches the client in time) when it is shorter than the server's own {@code askTimeout}, else
   * {@code askTimeout}, as etcd bounds a request by its request timeout whatever the client's deadline. A
   * malformed header: INVALID_ARGUMENT.
   */
  static CallDeadline deadline(Metadata metadata, Duration askTimeout) {
    try {
      return CallDeadline.of(metadata, askTimeout, askTimeout);
    } catch (IllegalArgumentException e) {
      throw new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    }
  }

  interface Parser<M> {
    M parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  interface Finisher<M, T> {
    T finish(M response, ResponseHeader header);
  }

  private <M extends MessageLite, T> CompletionStage<T> answer(CompletionStage<EtcdResult> result,
      CallDeadline deadline, Parser<M> parser, Finisher<M, T> finish) {
    return result.handle((r, failure) -> {
      if (failure != null) throw failed(failure, deadline);
      ResponseHeader header = ResponseHeader.newBuilder().setClusterId(clusterId).setMemberId(memberId)
          .setRevision(r.revision()).setRaftTerm(r.raftTerm()).build();
      if (r instanceof EtcdResult.Refused refused) throw status(refused.error());
      try {
        return finish.finish(parser.parse(((EtcdResult.Done) r).response()), header);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the etcd state machine answered bytes that do not parse: " + e, e);
      }
    });
  }

  private static <T> CompletionStage<T> refused(EtcdError error) {
    return CompletableFuture.failedFuture(status(error));
  }

  static GrpcServiceException status(EtcdError error) {
    return new GrpcServiceException(Status.fromCode(error.code()).withDescription(error.message()));
  }

  /**
   * A failure of a request bounded by {@code deadline}. When its time ran out (the group's handle gives up with
   * NotLeader when no leader took it, Timeout when no answer settled it, in the last retry pause before the
   * deadline): etcd's "context deadline exceeded" (DEADLINE_EXCEEDED, which clients do not retry) if that was
   * the client's deadline, "etcdserver: request timed out" if it was the server's own timeout (etcd, too, waits
   * for a leader until then); else as {@link #failed(Throwable)}.
   */
  static GrpcServiceException failed(Throwable failure, CallDeadline deadline) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof RaftException.Timeout || t instanceof RaftException.NotLeader) {
      return status(deadline.clients() ? EtcdError.DEADLINE_EXCEEDED : EtcdError.TIMEOUT);
    }
    return failed(t);
  }

  /** A failure of the Raft group, as etcd would report it (clients retry UNAVAILABLE). */
  static GrpcServiceException failed(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof GrpcServiceException g) return g;
    if (t instanceof RaftException.ServerStopped) return status(EtcdError.STOPPED);
    if (t instanceof RaftException.NotLeader) return status(EtcdError.NO_LEADER);
    if (t instanceof RaftException.Timeout || t instanceof RaftException.NoQuorum) return status(EtcdError.TIMEOUT);
    if (t instanceof RaftException.Rejected && t.getMessage() != null) {
      if (t.getMessage().contains("request-bytes-max")) return status(EtcdError.REQUEST_TOO_LARGE);
      if (t.getMessage().contains("overloaded")) return status(EtcdError.TOO_MANY_REQUESTS);
      return new GrpcServiceException(Status.UNAVAILABLE.withDescription("etcdserver: " + t.getMessage()));
    }
    return new GrpcServiceException(Status.INTERNAL.withDescription("etcdserver: " + t));
  }
}
