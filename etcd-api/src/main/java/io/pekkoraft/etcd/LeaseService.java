package io.pekkoraft.etcd;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReadOptions;
import io.pekkoraft.etcd.api.LeasePowerApi;
import io.pekkoraft.etcd.api.LeaseGrantRequest;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.LeaseKeepAliveRequest;
import io.pekkoraft.etcd.api.LeaseKeepAliveResponse;
import io.pekkoraft.etcd.api.LeaseLeasesRequest;
import io.pekkoraft.etcd.api.LeaseLeasesResponse;
import io.pekkoraft.etcd.api.LeaseRevokeRequest;
import io.pekkoraft.etcd.api.LeaseRevokeResponse;
import io.pekkoraft.etcd.api.LeaseTimeToLiveRequest;
import io.pekkoraft.etcd.api.LeaseTimeToLiveResponse;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.gateway.CallDeadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.stream.javadsl.Source;

/**
 * etcd's {@code etcdserverpb.Lease} on the etcd group. Grants and revocations go through the log
 * ({@link EtcdCommand.LeaseGrant}, {@link EtcdCommand.LeaseRevoke}: a revocation deletes the lease's keys at one
 * revision); keep-alives and the remaining TTL are the leader's (its {@link LessorActor}, reached through this
 * member's); the list of leases and their keys are read from the store (LINEARIZABLE).
 *
 * <p>As etcd: a TTL below the minimum ({@link LeaseSettings#minTtlSeconds}) is raised to it, one above
 * {@link LeaseSettings#MAX_TTL_SECONDS} is refused (OUT_OF_RANGE "etcdserver: too large lease TTL"); ID 0 lets the
 * group choose one (from the log index of the grant); a keep-alive of a lease that is gone answers TTL 0, a
 * TimeToLive of one TTL -1. Grant, Revoke, TimeToLive and Leases are bounded by the client's deadline like KV's
 * calls ({@link KvService#deadline}).
 */
final class LeaseService implements LeasePowerApi {

  private final RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;
  private final LeaseSettings settings;
  private final ActorRef<LessorActor.Command> lessor;
  private final ActorSystem<?> system;
  private final long clusterId;
  private final long memberId;

  LeaseService(RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group, LeaseSettings settings,
      ActorRef<LessorActor.Command> lessor, ActorSystem<?> system) {
    this.group = group;
    this.settings = settings;
    this.lessor = lessor;
    this.system = system;
    this.clusterId = EtcdIds.clusterId(group.groupId());
    this.memberId = EtcdIds.memberId(group.memberId());
  }

  private ResponseHeader header(long revision, long raftTerm) {
    return ResponseHeader.newBuilder().setClusterId(clusterId).setMemberId(memberId).setRevision(revision)
        .setRaftTerm(raftTerm).build();
  }

  @Override
  public CompletionStage<LeaseGrantResponse> leaseGrant(LeaseGrantRequest in, Metadata metadata) {
    if (in.getTTL() > LeaseSettings.MAX_TTL_SECONDS) {
      return CompletableFuture.failedFuture(KvService.status(EtcdError.LEASE_TTL_TOO_LARGE));
    }
    long ttl = Math.max(in.getTTL(), settings.minTtlSeconds());
    return KvService.bounded(metadata, settings.askTimeout(), deadline -> answer(group.submit(
        new EtcdCommand.LeaseGrant(in.getID(), ttl), deadline.timeout()), deadline, LeaseGrantResponse::parseFrom)
        .thenApply(r -> r.response().toBuilder().setHeader(r.header()).build()));
  }

  @Override
  public CompletionStage<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest in, Metadata metadata) {
    return KvService.bounded(metadata, settings.askTimeout(), deadline -> answer(group.submit(
        new EtcdCommand.LeaseRevoke(in.getID()), deadline.timeout()), deadline,
        io.pekkoraft.etcd.api.DeleteRangeResponse::parseFrom)
        .thenApply(r -> LeaseRevokeResponse.newBuilder().setHeader(r.header()).build()));
  }

  @Override
  public Source<LeaseKeepAliveResponse, NotUsed> leaseKeepAlive(Source<LeaseKeepAliveRequest, NotUsed> in,
      Metadata metadata) {
    return in.mapAsync(1, request -> AskPattern.<LessorActor.Command, LessorActor.KeepAliveAnswer>ask(lessor,
            replyTo -> new LessorActor.KeepAlive(request.getID(), replyTo, 0), settings.askTimeout(),
            system.scheduler())
        .handle((answer, failure) -> {
          if (failure != null) throw KvService.status(EtcdError.TIMEOUT);
          if (answer.noLeader()) throw KvService.status(EtcdError.NO_LEADER);
          return LeaseKeepAliveResponse.newBuilder().setHeader(header(answer.revision(), answer.raftTerm()))
              .setID(answer.id()).setTTL(answer.ttl()).build();
        }));
  }

  @Override
  public CompletionStage<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest in, Metadata metadata) {
    return KvService.bounded(metadata, settings.askTimeout(), deadline -> timeToLive(in, deadline));
  }

  private CompletionStage<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest in, CallDeadline deadline) {
    return group.read(new EtcdQuery.LeaseTimeToLive(in.getID(), in.getKeys()),
            ReadOptions.of(ReadConsistency.LINEARIZABLE), deadline.timeout())
        .handle((r, failure) -> {
          if (failure != null) throw KvService.failed(failure, deadline);
          return r;
        })
        .thenCompose(r -> {
          if (r instanceof EtcdResult.Refused) {
            // etcd's answer for a lease that does not exist (etcdctl prints "already expired").
            return CompletableFuture.completedFuture(LeaseTimeToLiveResponse.newBuilder()
                .setHeader(header(r.revision(), r.raftTerm())).setID(in.getID()).setTTL(-1).build());
          }
          LeaseTimeToLiveResponse stored = parse(((EtcdResult.Done) r).response(), LeaseTimeToLiveResponse::parseFrom);
          return AskPattern.<LessorActor.Command, LessorActor.TimeToLiveAnswer>ask(lessor,
                  replyTo -> new LessorActor.TimeToLive(in.getID(), stored.getGrantedTTL(), replyTo, 0),
                  settings.askTimeout(), system.scheduler())
              .handle((answer, failed) -> {
                if (failed != null) throw KvService.status(EtcdError.TIMEOUT);
                if (answer.noLeader()) throw KvService.status(EtcdError.NO_LEADER);
                return stored.toBuilder().setHeader(header(r.revision(), r.raftTerm())).setTTL(answer.ttl()).build();
              });
        });
  }

  @Override
  public CompletionStage<LeaseLeasesResponse> leaseLeases(LeaseLeasesRequest in, Metadata metadata) {
    return KvService.bounded(metadata, settings.askTimeout(), deadline -> answer(group.read(new EtcdQuery.Leases(),
        ReadOptions.of(ReadConsistency.LINEARIZABLE), deadline.timeout()), deadline, LeaseLeasesResponse::parseFrom)
        .thenApply(r -> r.response().toBuilder().setHeader(r.header()).build()));
  }

  private record Answer<M>(M response, ResponseHeader header) {}

  private <M> CompletionStage<Answer<M>> answer(CompletionStage<EtcdResult> result, CallDeadline deadline,
      KvService.Parser<M> parser) {
    return result.handle((r, failure) -> {
      if (failure != null) throw KvService.failed(failure, deadline);
      if (r instanceof EtcdResult.Refused refused) throw KvService.status(refused.error());
      return new Answer<>(parse(((EtcdResult.Done) r).response(), parser), header(r.revision(), r.raftTerm()));
    });
  }

  private static <M> M parse(byte[] bytes, KvService.Parser<M> parser) {
    try {
      return parser.parse(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the etcd state machine answered bytes that do not parse: " + e, e);
    }
  }
}
