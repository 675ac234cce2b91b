package io.pekkoraft.gateway;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.pekkoraft.consensus.ClientProxy;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadOptions;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.ServerStatus;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.gateway.grpc.*;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code pekkoraft.v1.RaftService} for every group registered with the gateway. Each call finds the group's
 * codec and its local {@link RaftGroup}, turns the client's {@code grpc-timeout} into the request's deadline
 * ({@link CallDeadline}) and goes to the local server, which forwards to the leader: commands, reads and
 * sessions through {@link ClientProxy} (the client's session id and sequence passed on unchanged), membership
 * changes and leadership transfers as the servers' own requests. Every failure is a gRPC status
 * ({@link CallErrors}).
 */
final class RaftServiceImpl implements RaftServicePowerApi {

  /** Pause before asking again when no leader is known (membership calls). */
  private static final Duration NO_LEADER_PAUSE = Duration.ofMillis(20);

  private final ActorSystem<?> system;
  private final PekkoRaftGateway gateway;
  private final Duration askTimeout;
  /** No request outlives a session: the servers answer a retry from the session table only while it is open. */
  private final Duration timeoutMax;
  private final long requestBytesMax;
  private final int maxMessageSize;
  private final long sessionTtlMs;

  RaftServiceImpl(ActorSystem<?> system, PekkoRaftGateway gateway, GatewaySettings settings) {
    this.system = system;
    this.gateway = gateway;
    com.typesafe.config.Config raft = system.settings().config().getConfig("pekko-raft");
    this.askTimeout = raft.getDuration("client.ask-timeout");
    this.sessionTtlMs = raft.getDuration("session.ttl").toMillis();
    this.timeoutMax = Duration.ofMillis(sessionTtlMs / 2);
    this.requestBytesMax = raft.getBytes("client.request-bytes-max");
    this.maxMessageSize = settings.maxMessageSize();
  }

  /** A group this member serves: its codec and its handle. */
  private record Served(String id, GroupCodec<Object, Object, Object> codec, RaftGroup<Object, Object, Object> group) {
    ClientProxy<Object, Object, Object> proxy() {
      return group.clientProxy();
    }
  }

  @SuppressWarnings("unchecked")
  private Served served(String groupId) {
    if (groupId == null || groupId.isBlank()) throw CallErrors.invalid("group must not be empty");
    GroupCodec<?, ?, ?> codec = gateway.codec(groupId).orElseThrow(() -> CallErrors.status(Status.Code.NOT_FOUND,
        "group '" + groupId + "' is not served by this gateway: no codec is registered for it"));
    RaftGroup<?, ?, ?> group = PekkoRaft.get(system).group(groupId).orElseThrow(() -> CallErrors.status(
        Status.Code.NOT_FOUND, "group '" + groupId + "' is not started on member " + PekkoRaft.get(system).selfId()));
    return new Served(groupId, (GroupCodec<Object, Object, Object>) codec, (RaftGroup<Object, Object, Object>) group);
  }

  /** Runs {@code call}, turning what it throws before its stage exists into a failed stage. */
  private static <T> CompletionStage<T> guarded(java.util.function.Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (GrpcServiceException e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(CallErrors.status(Status.Code.INTERNAL, "the gateway failed: " + e));
    }
  }

  /**
   * {@code value} of the proto's uint64 {@code field}, refused if 2^63 or more: Java reads it as a negative
   * long, which no session, sequence or index is (and -1 is the id of a request that opens a session).
   */
  private static long uint64(long value, String field) {
    if (value < 0) {
      throw CallErrors.invalid(field + " " + Long.toUnsignedString(value) + " is out of range (at most 2^63 - 1)");
    }
    return value;
  }

  private CallDeadline deadline(Metadata metadata) {
    try {
      return CallDeadline.of(metadata, askTimeout, timeoutMax);
    } catch (IllegalArgumentException e) {
      throw CallErrors.invalid(e.getMessage());
    }
  }

  private Object decode(Function<byte[], Object> decoder, ByteString payload, String what, String group) {
    if (payload.size() > requestBytesMax) {
      throw CallErrors.status(Status.Code.RESOURCE_EXHAUSTED, "the " + what + " payload of " + payload.size()
          + " bytes is larger than group " + group + " accepts (pekko-raft.client.request-bytes-max = " + requestBytesMax
          + " bytes); not applied");
    }
    Object decoded;
    try {
      decoded = decoder.apply(payload.toByteArray());
    } catch (RuntimeException e) {
      throw CallErrors.invalid("the " + what + " payload cannot be read by group " + group + "'s codec: "
          + e.getMessage());
    }
    if (decoded == null) throw CallErrors.invalid("group " + group + "'s codec read the " + what + " payload as null");
    return decoded;
  }

  /** A read's result; see {@link #encodeResult(Served, Object, long)}. */
  private ByteString encodeResult(Served s, Object result) {
    return encodeResult(s, result, 0);
  }

  /** {@code result} in the group's codec; {@code appliedIndex} is the command's log index (0 for a read). */
  private ByteString encodeResult(Served s, Object result, long appliedIndex) {
    byte[] bytes;
    try {
      bytes = s.codec().encodeResult(result);
    } catch (RuntimeException e) {
      throw CallErrors.status(Status.Code.INTERNAL, "group " + s.id() + "'s codec cannot encode the result: " + e);
    }
    if (bytes.length > maxMessageSize) {
      String outcome = appliedIndex > 0
          ? "; the command WAS applied, at index " + appliedIndex + " of group " + s.id() + ": do not send it again,"
              + " its result is too large to send"
          : "; nothing was changed";
      throw CallErrors.status(Status.Code.RESOURCE_EXHAUSTED, "the result of " + bytes.length + " bytes is larger"
          + " than pekko-raft.gateway.max-message-size (" + maxMessageSize + " bytes)" + outcome);
    }
    return ByteString.copyFrom(bytes);
  }

  @Override
  public CompletionStage<OpenSessionResponse> openSession(OpenSessionRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      CallDeadline deadline = deadline(metadata);
      return recover(s.proxy().openSession(deadline.timeout()).thenApply(id -> OpenSessionResponse.newBuilder()
              .setSessionId(id).setTtlMs(sessionTtlMs).build()),
          f -> CallErrors.command(s.id(), "session opening", f, deadline, requestBytesMax));
    });
  }

  @Override
  public CompletionStage<KeepAliveResponse> keepAlive(KeepAliveRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      if (uint64(in.getSessionId(), "session_id") == 0) throw CallErrors.invalid("session_id must not be 0");
      CallDeadline deadline = deadline(metadata);
      return recover(s.proxy().keepAlive(in.getSessionId(), deadline.timeout())
              .thenApply(id -> KeepAliveResponse.getDefaultInstance()),
          f -> CallErrors.command(s.id(), "keep-alive", f, deadline, requestBytesMax));
    });
  }

  @Override
  public CompletionStage<SubmitResponse> submit(SubmitRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      long session = uint64(in.getSessionId(), "session_id");
      uint64(in.getSequence(), "sequence");
      uint64(in.getAckedSequence(), "acked_sequence");
      if (session == 0 && (in.getSequence() != 0 || in.getAckedSequence() != 0)) {
        throw CallErrors.invalid("sequence and acked_sequence need a session_id (from OpenSession)");
      }
      if (session != 0 && in.getSequence() == 0) {
        throw CallErrors.invalid("a command in session " + session + " needs a sequence of 1 or more");
      }
      if (session != 0 && in.getAckedSequence() >= in.getSequence()) {
        throw CallErrors.invalid("acked_sequence " + in.getAckedSequence() + " must be below the command's sequence "
            + in.getSequence() + " (it names the commands already answered)");
      }
      Object command = decode(s.codec()::decodeCommand, in.getPayload(), "command", s.id());
      CallDeadline deadline = deadline(metadata);
      return recover(s.proxy().submit(command, session, in.getSequence(), in.getAckedSequence(), deadline.timeout())
              .thenApply(applied -> SubmitResponse.newBuilder().setResult(encodeResult(s, applied.result(), applied.index()))
                  .setIndex(applied.index()).build()),
          f -> CallErrors.command(s.id(), "command", f, deadline, requestBytesMax));
    });
  }

  @Override
  public CompletionStage<QueryResponse> query(QueryRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      ReadOptions options = readOptions(in);
      Object query = decode(s.codec()::decodeQuery, in.getPayload(), "query", s.id());
      CallDeadline deadline = deadline(metadata);
      return recover(s.proxy().read(query, options, deadline.timeout())
              .thenApply(result -> QueryResponse.newBuilder().setResult(encodeResult(s, result)).build()),
          f -> CallErrors.query(s.id(), f, deadline, requestBytesMax));
    });
  }

  private static ReadOptions readOptions(QueryRequest in) {
    uint64(in.getMaxLagEntries(), "max_lag_entries");
    uint64(in.getMinIndex(), "min_index");
    boolean bounded = in.getMaxLagEntries() != 0 || in.getMinIndex() != 0;
    switch (in.getConsistency()) {
      case LINEARIZABLE, LEASE, FOLLOWER -> {
        if (bounded) throw CallErrors.invalid("max_lag_entries and min_index apply to STALE reads only");
        return ReadOptions.of(switch (in.getConsistency()) {
          case LEASE -> io.pekkoraft.consensus.ReadConsistency.LEASE;
          case FOLLOWER -> io.pekkoraft.consensus.ReadConsistency.FOLLOWER;
          default -> io.pekkoraft.consensus.ReadConsistency.LINEARIZABLE;
        });
      }
      case STALE -> {
        if (in.getMaxLagEntries() != 0 && in.getMinIndex() != 0) {
          throw CallErrors.invalid("a STALE read takes max_lag_entries or min_index, not both");
        }
        if (in.getMaxLagEntries() != 0) return ReadOptions.staleWithin(in.getMaxLagEntries());
        if (in.getMinIndex() != 0) return ReadOptions.staleFrom(in.getMinIndex());
        return ReadOptions.of(io.pekkoraft.consensus.ReadConsistency.STALE);
      }
      default -> throw CallErrors.invalid("unknown consistency " + in.getConsistencyValue());
    }
  }

  @Override
  public CompletionStage<StatusResponse> status(StatusRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      CallDeadline deadline = deadline(metadata);
      CompletionStage<ServerStatus> local = s.proxy().localStatus(deadline.timeout());
      CompletionStage<MembershipReply> leader = askMembership(s, hops -> replyTo ->
          new MembershipRequest.GetMembership(hops, replyTo), deadline);
      return recover(leader.thenCombine(local, (reply, self) -> {
        if (!(reply instanceof MembershipReply.Status st)) throw unexpected(s, reply);
        return statusResponse(s, st, self);
      }), f -> membershipFailure(s, "status", f, deadline, false));
    });
  }

  private StatusResponse statusResponse(Served s, MembershipReply.Status st, ServerStatus self) {
    Membership m = st.membership();
    Set<String> everyone = new TreeSet<>(m.voters());
    everyone.addAll(m.votersOutgoing());
    everyone.addAll(m.learners());
    Map<String, String> bootstrap = bootstrapAddresses();
    StatusResponse.Builder b = StatusResponse.newBuilder().setGroup(s.id())
        .setLeader(st.leaderId() == null ? "" : st.leaderId()).setTerm(st.term()).setCommitIndex(st.commitIndex())
        .setConfiguration(configuration(m))
        .setServedBy(self.memberId()).setServedByRole(self.role().name())
        .setServedByAppliedIndex(self.appliedIndex());
    for (String id : everyone) {
      MembershipReply.MemberProgress p = st.progress().get(id);
      boolean isLeader = id.equals(st.leaderId());
      boolean voter = m.isVoter(id);
      String address = m.addresses().getOrDefault(id, bootstrap.getOrDefault(id, ""));
      b.addMembers(Member.newBuilder().setId(id).setRole(isLeader ? "LEADER" : voter ? "FOLLOWER" : "LEARNER")
          .setVoter(voter).setMatchIndex(p != null ? p.matchIndex() : isLeader ? st.commitIndex() : 0)
          .setRecentlyHeard(p != null ? p.recentlyHeard() : isLeader).setAddress(address));
    }
    return b.build();
  }

  private Map<String, String> bootstrapAddresses() {
    Map<String, String> addresses = new java.util.HashMap<>();
    try {
      for (com.typesafe.config.Config m : system.settings().config().getConfigList("pekko-raft.members")) {
        addresses.put(m.getString("id"), m.getString("address"));
      }
    } catch (RuntimeException notAList) {
      // only addresses recorded in the configuration are shown
    }
    return addresses;
  }

  private static io.pekkoraft.gateway.grpc.Configuration configuration(Membership m) {
    return io.pekkoraft.gateway.grpc.Configuration.newBuilder().addAllVoters(new TreeSet<>(m.voters()))
        .addAllOldVoters(new TreeSet<>(m.votersOutgoing())).addAllLearners(new TreeSet<>(m.learners()))
        .setIndex(m.configurationIndex()).setCommitted(m.committed()).build();
  }

  @Override
  public CompletionStage<MembershipResponse> addLearner(AddLearnerRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      String id = memberId(in.getMemberId());
      if (in.getAddress().isBlank()) throw CallErrors.invalid("address must not be empty (pekko://system@host:port)");
      return change(s, new ConfigurationChange.AddLearner(id, in.getAddress()), MembershipRequest.ANY_CONFIGURATION,
          deadline(metadata));
    });
  }

  @Override
  public CompletionStage<MembershipResponse> promote(PromoteRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      return change(s, new ConfigurationChange.Promote(memberId(in.getMemberId())), MembershipRequest.ANY_CONFIGURATION,
          deadline(metadata));
    });
  }

  @Override
  public CompletionStage<MembershipResponse> remove(RemoveRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      return change(s, new ConfigurationChange.Remove(memberId(in.getMemberId())), MembershipRequest.ANY_CONFIGURATION,
          deadline(metadata));
    });
  }

  @Override
  public CompletionStage<MembershipResponse> changeVoters(ChangeVotersRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      if (in.getVotersCount() == 0) throw CallErrors.invalid("voters must not be empty");
      Set<String> voters = new HashSet<>();
      for (String v : in.getVotersList()) voters.add(memberId(v));
      CallDeadline deadline = deadline(metadata);
      // The learners stay learners (less those that become voters): read them, then change that configuration
      // only (compare-and-set on its index).
      return askMembership(s, hops -> replyTo -> new MembershipRequest.GetMembership(hops, replyTo), deadline)
          .thenCompose(reply -> {
            if (!(reply instanceof MembershipReply.Status st)) throw unexpected(s, reply);
            Set<String> learners = new HashSet<>(st.membership().learners());
            learners.removeAll(voters);
            return change(s, new ConfigurationChange.ChangeVoters(voters, learners, in.getAddressesMap()),
                st.membership().configurationIndex(), deadline);
          })
          .exceptionallyCompose(f -> CompletableFuture.failedFuture(
              membershipFailure(s, "membership change", f, deadline, false)));
    });
  }

  private static String memberId(String id) {
    if (id == null || id.isBlank()) throw CallErrors.invalid("member_id must not be empty");
    return id;
  }

  private CompletionStage<MembershipResponse> change(Served s, ConfigurationChange change, long expectedIndex,
      CallDeadline deadline) {
    return recover(askMembership(s, hops -> replyTo -> new MembershipRequest.ChangeMembership(change, expectedIndex,
        hops, replyTo), deadline).thenApply(reply -> {
          if (reply instanceof MembershipReply.Changed c) {
            return MembershipResponse.newBuilder().setConfiguration(configuration(c.membership())).build();
          }
          throw unexpected(s, reply);
        }), f -> membershipFailure(s, "membership change", f, deadline, true));
  }

  private static GrpcServiceException unexpected(Served s, Object reply) {
    if (reply instanceof MembershipReply.Refused r) return CallErrors.refused(s.id(), r);
    if (reply instanceof MembershipReply.OutcomeUnknown u) {
      return CallErrors.status(Status.Code.UNAVAILABLE, "the leader of group " + s.id() + " lost its leadership before"
          + " the change committed: " + u.reason() + "; it may still take effect: read Status before trying again");
    }
    return CallErrors.status(Status.Code.INTERNAL, "unexpected answer " + reply);
  }

  private static GrpcServiceException membershipFailure(Served s, String what, Throwable failure,
      CallDeadline deadline, boolean mayChange) {
    Throwable t = CallErrors.unwrap(failure);
    if (t instanceof GrpcServiceException g) return g;
    if (t instanceof NoLeader) {
      return CallErrors.status(Status.Code.UNAVAILABLE, "no leader of group " + s.id() + " could be reached within "
          + deadline.timeout().toMillis() + " ms; " + (mayChange ? "nothing changed: safe to retry" : "not served"));
    }
    return CallErrors.status(deadline.passed() ? Status.Code.DEADLINE_EXCEEDED : Status.Code.UNAVAILABLE,
        "no answer to the " + what + " of group " + s.id() + " within " + deadline.timeout().toMillis() + " ms: " + t
        + (mayChange ? "; the change may have been made: read Status before trying again" : ""));
  }

  /** No leader was known before the deadline (each NotLeader answered "not done"). */
  private static final class NoLeader extends RuntimeException {
    NoLeader() {
      super("no leader", null, false, false);
    }
  }

  /**
   * Asks the local server (hops 0: it forwards to the leader), again after a pause while it answers NotLeader
   * (no leader known: nothing was done), until the deadline.
   */
  private CompletionStage<MembershipReply> askMembership(Served s,
      Function<Integer, Function<ActorRef<MembershipReply>, MembershipRequest>> make, CallDeadline deadline) {
    ActorRef<ServerCommand> server = s.group().server();
    long remaining = deadline.timeout().toNanos() - (System.nanoTime() - deadline.startNanos());
    if (remaining <= 0) return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("deadline"));
    return AskPattern.<ServerCommand, MembershipReply>ask(server, replyTo -> make.apply(0).apply(replyTo),
            Duration.ofNanos(remaining), system.scheduler())
        .thenComposeAsync(reply -> {
          if (!(reply instanceof MembershipReply.NotLeader)) return CompletableFuture.completedFuture(reply);
          long left = deadline.timeout().toNanos() - (System.nanoTime() - deadline.startNanos());
          if (left <= NO_LEADER_PAUSE.toNanos()) return CompletableFuture.failedFuture(new NoLeader());
          java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(NO_LEADER_PAUSE.toMillis(), TimeUnit.MILLISECONDS,
              system.executionContext());
          return CompletableFuture.supplyAsync(() -> null, later)
              .thenCompose(x -> askMembership(s, make, deadline));
        }, system.executionContext());
  }

  @Override
  public CompletionStage<TransferLeadershipResponse> transferLeadership(TransferLeadershipRequest in, Metadata metadata) {
    return guarded(() -> {
      Served s = served(in.getGroup());
      String target = in.getMemberId().isBlank() ? null : in.getMemberId();
      CallDeadline deadline = deadline(metadata);
      return recover(AskPattern.<ServerCommand, TransferReply>ask(s.group().server(),
              replyTo -> new TransferLeadership(target, true, replyTo), deadline.timeout(), system.scheduler())
          .thenApply(reply -> {
            if (reply instanceof TransferReply.Transferred t) {
              return TransferLeadershipResponse.newBuilder().setLeader(t.leaderId()).build();
            }
            if (reply instanceof TransferReply.Rejected r) {
              throw CallErrors.status(Status.Code.FAILED_PRECONDITION, "the leadership transfer in group " + s.id()
                  + " was refused: " + r.reason());
            }
            if (reply instanceof TransferReply.NotLeader) {
              throw CallErrors.status(Status.Code.UNAVAILABLE, "no leader of group " + s.id()
                  + " is known to hand the leadership over; nothing changed");
            }
            TransferReply.Timeout t = (TransferReply.Timeout) reply;
            throw CallErrors.status(Status.Code.UNAVAILABLE, "no new leader of group " + s.id() + " within"
                + " pekko-raft.leadership-transfer-timeout: " + t.reason() + "; the old leader serves again");
          }), f -> membershipFailure(s, "leadership transfer", f, deadline, false));
    });
  }

  /** The applied stream of the group on this member ({@link AppliedWatch}, which says how each failure is coded). */
  @Override
  public Source<AppliedEvent, NotUsed> watchApplied(WatchAppliedRequest in, Metadata metadata) {
    return AppliedWatch.stream(system, in);
  }

  /** {@code stage}, its failure turned into a gRPC status by {@code toStatus}. */
  private static <T> CompletionStage<T> recover(CompletionStage<T> stage, Function<Throwable, GrpcServiceException> toStatus) {
    return stage.exceptionallyCompose(f -> CompletableFuture.failedFuture(toStatus.apply(f)));
  }
}
