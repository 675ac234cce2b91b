package io.pekkoraft.consensus;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A handle to a Raft group from one node: submit commands and read, from any member. A member that is
 * not the leader forwards the request to the leader; while no leader is known (during an election) the
 * handle retries until {@code pekko-raft.client.ask-timeout}.
 *
 * <p>Results complete the stage; failures complete it exceptionally with a {@link RaftException}.
 * For the typed replies themselves, send {@link ClientRequest}s to {@link #server()}.
 */
public final class RaftGroup<C, Q, R> {

  private static final Duration RETRY_DELAY = Duration.ofMillis(25);

  private final String groupId;
  private final String memberId;
  private final ActorRef<ServerCommand> server;
  private final ActorSystem<?> system;
  private final KryoCodec codec;
  private final Duration askTimeout;

  RaftGroup(String groupId, String memberId, ActorRef<ServerCommand> server, ActorSystem<?> system, KryoCodec codec,
      Duration askTimeout) {
    this.groupId = groupId;
    this.memberId = memberId;
    this.server = server;
    this.system = system;
    this.codec = codec;
    this.askTimeout = askTimeout;
  }

  public String groupId() {
    return groupId;
  }

  /** This node's member id. */
  public String memberId() {
    return memberId;
  }

  /** The local Raft server, for the actor protocol ({@link ClientRequest} in, {@link ClientReply} out). */
  public ActorRef<ServerCommand> server() {
    return server;
  }

  /**
   * Replicate {@code command}; completes with the state machine's result once committed and applied. A
   * command that cannot be serialized (its class is not registered with Kryo) fails the stage with
   * {@link RaftException.Rejected} at once.
   */
  public CompletionStage<R> submit(C command) {
    return encodeAndRequest(command, "command", ClientRequest.ClientCommand::new);
  }

  /** A linearizable read: sees every command acknowledged before it started. */
  public CompletionStage<R> read(Q query) {
    return read(query, ReadConsistency.LINEARIZABLE);
  }

  /** A read of the chosen consistency; an unserializable query fails like an unserializable command. */
  public CompletionStage<R> read(Q query, ReadConsistency consistency) {
    return encodeAndRequest(query, "query",
        (bytes, hops, replyTo) -> new ClientRequest.ClientQuery(bytes, consistency, hops, replyTo));
  }

  /** How a request is made from its serialized payload (hops 0: it starts here). */
  private interface RequestMaker {
    ClientRequest make(byte[] payload, int hops, ActorRef<ClientReply> replyTo);
  }

  /** Serialize once (an unregistered class fails the stage, nothing is sent), then ask until the deadline. */
  private CompletionStage<R> encodeAndRequest(Object payload, String what, RequestMaker maker) {
    byte[] bytes;
    try {
      bytes = codec.toBytes(payload);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new RaftException.Rejected(what + " not sent: " + e.getMessage(), e));
    }
    return request(replyTo -> maker.make(bytes, 0, replyTo), System.nanoTime() + askTimeout.toNanos());
  }

  @SuppressWarnings("unchecked")
  private CompletionStage<R> request(Function<ActorRef<ClientReply>, ClientRequest> make, long deadline) {
    Duration remaining = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    return AskPattern.<ServerCommand, ClientReply>ask(server, make::apply, remaining, system.scheduler())
        .exceptionally(failure -> new ClientReply.Timeout("no answer within " + askTimeout.toMillis() + " ms"))
        .thenCompose(reply -> {
          if (reply instanceof ClientReply.Applied applied) {
            return CompletableFuture.completedFuture((R) applied.result());
          }
          if (reply instanceof ClientReply.NotLeader notLeader) {
            if (System.nanoTime() + RETRY_DELAY.toNanos() >= deadline) {
              return CompletableFuture.failedFuture(new RaftException.NotLeader(notLeader.leaderId()));
            }
            return retryLater(make, deadline); // not applied: safe to retry
          }
          return CompletableFuture.failedFuture(toException(reply));
        });
  }

  private CompletionStage<R> retryLater(Function<ActorRef<ClientReply>, ClientRequest> make, long deadline) {
    CompletableFuture<R> result = new CompletableFuture<>();
    system.scheduler().scheduleOnce(RETRY_DELAY, () -> request(make, deadline).whenComplete((r, e) -> {
      if (e != null) result.completeExceptionally(e instanceof java.util.concurrent.CompletionException ? e.getCause() : e);
      else result.complete(r);
    }), system.executionContext());
    return result;
  }

  private static RaftException toException(ClientReply reply) {
    if (reply instanceof ClientReply.Timeout t) return new RaftException.Timeout(t.reason());
    if (reply instanceof ClientReply.NoQuorum n) return new RaftException.NoQuorum(n.reason());
    if (reply instanceof ClientReply.Rejected r) return new RaftException.Rejected(r.reason());
    throw new IllegalStateException("unexpected reply " + reply);
  }
}
