package io.pekkoraft.etcd;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.etcd.api.AlarmRequest;
import io.pekkoraft.etcd.api.AlarmResponse;
import io.pekkoraft.etcd.api.DefragmentRequest;
import io.pekkoraft.etcd.api.DefragmentResponse;
import io.pekkoraft.etcd.api.HashKVRequest;
import io.pekkoraft.etcd.api.HashKVResponse;
import io.pekkoraft.etcd.api.HashRequest;
import io.pekkoraft.etcd.api.HashResponse;
import io.pekkoraft.etcd.api.Maintenance;
import io.pekkoraft.etcd.api.MoveLeaderRequest;
import io.pekkoraft.etcd.api.MoveLeaderResponse;
import io.pekkoraft.etcd.api.SnapshotRequest;
import io.pekkoraft.etcd.api.SnapshotResponse;
import io.pekkoraft.etcd.api.StatusRequest;
import io.pekkoraft.etcd.api.StatusResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Source;

/**
 * etcd's {@code etcdserverpb.Maintenance}: Status (this member's own view: its Raft index, term, applied index,
 * the leader it knows, whether it is a learner, and the store's size estimate), MoveLeader as a leadership
 * transfer, Alarm GET (no alarm is ever raised: no space quota, no corruption check). Defragment, Hash, HashKV,
 * Snapshot and alarm changes are not supported and answer {@code UNIMPLEMENTED} with the reason.
 */
final class MaintenanceService implements Maintenance {

  /** The etcd version Status reports: the API level served (etcd 3.4's rpc.proto, etcdctl 3.4). */
  static final String VERSION = "3.4.0";

  private final RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;
  private final EtcdMembers members;

  MaintenanceService(RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group, EtcdMembers members) {
    this.group = group;
    this.members = members;
  }

  @Override
  public CompletionStage<StatusResponse> status(StatusRequest in) {
    var self = group.clientProxy().localStatus(members.timeout());
    var stats = group.read(new EtcdQuery.Stats(), ReadConsistency.STALE);
    return self.thenCombine(stats, (s, result) -> {
      if (!(result instanceof EtcdResult.Done done)) {
        throw new IllegalStateException("the etcd state machine refused a Stats query: " + result);
      }
      StatusResponse size;
      try {
        size = StatusResponse.parseFrom(done.response());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the etcd state machine answered bytes that do not parse: " + e, e);
      }
      StatusResponse.Builder b = StatusResponse.newBuilder()
          .setHeader(members.header(s.term()).toBuilder().setRevision(result.revision()))
          .setVersion(VERSION).setDbSize(size.getDbSize()).setDbSizeInUse(size.getDbSizeInUse())
          .setLeader(s.leaderId() == null ? 0 : EtcdIds.memberId(s.leaderId()))
          .setRaftIndex(s.commitIndex()).setRaftTerm(s.term()).setRaftAppliedIndex(s.appliedIndex())
          .setIsLearner(s.role() == RaftRole.LEARNER);
      if (s.leaderId() == null) b.addErrors(EtcdError.NO_LEADER.message());
      return b.build();
    }).exceptionallyCompose(f -> CompletableFuture.failedFuture(KvService.failed(f)));
  }

  @Override
  public CompletionStage<MoveLeaderResponse> moveLeader(MoveLeaderRequest in) {
    return members.status().thenCompose(st -> {
      String target = EtcdMembers.name(st.membership(), in.getTargetID()).filter(st.membership()::isVoter)
          .orElseThrow(() -> KvService.status(EtcdError.BAD_LEADER_TRANSFEREE));
      return AskPattern.<ServerCommand, TransferReply>ask(group.server(),
              replyTo -> new TransferLeadership(target, true, replyTo), members.timeout(),
              members.system().scheduler())
          .exceptionallyCompose(f -> CompletableFuture.failedFuture(KvService.status(EtcdError.TIMEOUT)))
          .thenApply(reply -> {
            if (reply instanceof TransferReply.Transferred) {
              return MoveLeaderResponse.newBuilder().setHeader(members.header(st.term())).build();
            }
            if (reply instanceof TransferReply.NotLeader) throw KvService.status(EtcdError.NO_LEADER);
            if (reply instanceof TransferReply.Rejected r) {
              throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(
                  "etcdserver: leadership transfer refused: " + r.reason()));
            }
            throw KvService.status(EtcdError.TIMEOUT); // no new leader within leadership-transfer-timeout
          });
    });
  }

  @Override
  public CompletionStage<AlarmResponse> alarm(AlarmRequest in) {
    if (in.getAction() != AlarmRequest.AlarmAction.GET) {
      return unimplemented("alarms are never raised here (no space quota, no corruption check), so there is"
          + " none to activate or deactivate");
    }
    return group.clientProxy().localStatus(members.timeout())
        .thenApply(s -> AlarmResponse.newBuilder().setHeader(members.header(s.term())).build())
        .exceptionallyCompose(f -> CompletableFuture.failedFuture(KvService.failed(f)));
  }

  @Override
  public CompletionStage<DefragmentResponse> defragment(DefragmentRequest in) {
    return unimplemented("the store is in memory (and in snapshots of the Raft log): there is no database file"
        + " to defragment; compaction frees old revisions");
  }

  @Override
  public CompletionStage<HashResponse> hash(HashRequest in) {
    return unimplemented("Hash is not supported: members apply the same Raft log; compare revisions instead");
  }

  @Override
  public CompletionStage<HashKVResponse> hashKV(HashKVRequest in) {
    return unimplemented("HashKV is not supported: members apply the same Raft log; compare revisions instead");
  }

  @Override
  public Source<SnapshotResponse, NotUsed> snapshot(SnapshotRequest in) {
    return Source.failed(new GrpcServiceException(Status.UNIMPLEMENTED.withDescription("etcdserver: Snapshot is"
        + " not supported: the store is not a bbolt database; snapshots are the Raft group's own")));
  }

  private static <T> CompletionStage<T> unimplemented(String why) {
    return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNIMPLEMENTED.withDescription(
        "etcdserver: " + why)));
  }
}
