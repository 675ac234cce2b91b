package io.pekkoraft.gateway;

import io.grpc.Status;
import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.gateway.grpc.AppliedEvent;
import io.pekkoraft.gateway.grpc.WatchAppliedRequest;
import com.google.protobuf.ByteString;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code WatchApplied}: what a group applies on this member from an index on, as gRPC {@link AppliedEvent}s, in
 * log order, each with its command and result in the group's {@link GroupCodec} ({@code encodeCommand},
 * {@code encodeResult}) or the state machine's failure. It is {@link RaftGroup#watchApplied} (see there which
 * entries are left out, and why a resume from the last index seen + 1 on any member has no gap and no
 * duplicate), with its failures turned into status codes:
 *
 * <ul>
 *   <li>{@code FAILED_PRECONDITION}: the index is older than this member holds ({@code pekko-raft.watch.buffer-entries}
 *       applied commands, none before a snapshot it restored), or the client fell that far behind; the message
 *       names the first index it holds ("first available index N");
 *   <li>{@code UNAVAILABLE}: the group's server on this member stopped; resume on another member;
 *   <li>{@code NOT_FOUND}: the group is not started on this member, or has no codec registered;
 *   <li>{@code INVALID_ARGUMENT}: a from_index beyond any log index (2^63 or more);
 *   <li>{@code INTERNAL}: the codec failed to encode a command or result (a bug of the codec).
 * </ul>
 *
 * A from_index of 0 (the field unset) is 1. The stream never completes on its own: it follows the group until
 * the client cancels it.
 */
public final class AppliedWatch {

  private AppliedWatch() {}

  /** The request of {@code RaftService.WatchApplied}, with the codec registered with {@link PekkoRaftGateway}. */
  public static Source<AppliedEvent, NotUsed> stream(ActorSystem<?> system, WatchAppliedRequest request) {
    Optional<GroupCodec<?, ?, ?>> codec = PekkoRaftGateway.get(system).codec(request.getGroup());
    if (codec.isEmpty()) {
      return failed(Status.NOT_FOUND, "group '" + request.getGroup() + "' is not served by this gateway: no codec is"
          + " registered for it");
    }
    return stream(system, request.getGroup(), codec.get(), request.getFromIndex());
  }

  /**
   * What group {@code group} applies on this member from {@code fromIndex} on (0 is 1; the proto's uint64 as
   * Java's long, so a negative value is an index of 2^63 or more), encoded with {@code codec}.
   */
  public static Source<AppliedEvent, NotUsed> stream(ActorSystem<?> system, String group, GroupCodec<?, ?, ?> codec,
      long fromIndex) {
    Optional<RaftGroup<?, ?, ?>> raftGroup = PekkoRaft.get(system).group(group);
    if (raftGroup.isEmpty()) {
      return failed(Status.NOT_FOUND, "group '" + group + "' is not started on this member");
    }
    if (fromIndex < 0) {
      return failed(Status.INVALID_ARGUMENT, "from_index " + Long.toUnsignedString(fromIndex) + " is beyond any log"
          + " index");
    }
    @SuppressWarnings("unchecked")
    GroupCodec<Object, Object, Object> encoder = (GroupCodec<Object, Object, Object>) codec;
    return raftGroup.get().watchApplied(Math.max(1, fromIndex))
        .map(applied -> event(group, encoder, applied))
        .mapError(new PFBuilder<Throwable, Throwable>()
            .match(RaftException.WatchFromTooOld.class, tooOld -> new GrpcServiceException(Status.FAILED_PRECONDITION
                .withDescription(tooOld.getMessage() + "; first available index " + tooOld.firstAvailableIndex())))
            .match(RaftException.ServerStopped.class, stopped -> new GrpcServiceException(Status.UNAVAILABLE
                .withDescription(stopped.getMessage())))
            .build());
  }

  private static AppliedEvent event(String group, GroupCodec<Object, Object, Object> codec, AppliedCommand<?, ?> applied) {
    AppliedEvent.Builder event = AppliedEvent.newBuilder()
        .setIndex(applied.index())
        .setTerm(applied.term())
        .setSessionId(applied.sessionId())
        .setSequence(applied.sequence());
    try {
      event.setPayload(ByteString.copyFrom(codec.encodeCommand(applied.command())));
      if (applied.failed()) event.setError(applied.failure());
      else if (applied.result() != null) event.setResult(ByteString.copyFrom(codec.encodeResult(applied.result())));
    } catch (RuntimeException e) {
      throw new GrpcServiceException(Status.INTERNAL.withDescription("the codec of group '" + group + "' cannot encode"
          + " the command applied at index " + applied.index() + " or its result: " + e));
    }
    return event.build();
  }

  private static Source<AppliedEvent, NotUsed> failed(Status status, String message) {
    return Source.failed(new GrpcServiceException(status.withDescription(message)));
  }
}
