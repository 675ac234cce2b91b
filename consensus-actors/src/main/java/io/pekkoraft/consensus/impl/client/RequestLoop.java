package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.annotation.InternalApi;

/**
 * How {@link RaftGroup} and {@link RaftClient} make a request: serialize the payload once (an unregistered
 * class fails at once, nothing sent), ask a server, and follow NotLeader answers until the deadline. A
 * NotLeader answer means "not applied", so retrying is safe; no answer, Timeout and NoQuorum mean "outcome
 * unknown", so they are never retried here: the caller decides. CommandFailed (committed, refused by the state
 * machine) is final: retrying would fail again.
 */
@InternalApi
public final class RequestLoop {

  /** Which server to ask, and what the answers teach about where the leader is. */
  public interface Route {
    /** The server to ask now, or null when none is known (the request waits and tries again). */
    ActorRef<ServerCommand> next();

    /** {@code asked} answered NotLeader, naming {@code leaderId} (null: none known); true to retry at once. */
    boolean notLeader(ActorRef<ServerCommand> asked, String leaderId);

    /** {@code asked} applied or served the request. */
    void served(ActorRef<ServerCommand> asked);

    /** {@code asked} gave no answer in time. */
    void noAnswer(ActorRef<ServerCommand> asked);

    /**
     * 0: a member that is not the leader forwards the request once; 1: it answers NotLeader, naming the
     * leader, so that the route learns where to go next time.
     */
    int hops();
  }

  /** How a request is made from its serialized payload, hop count, tag and reply address. */
  interface RequestMaker {
    ClientRequest make(byte[] payload, int hops, long tag, ActorRef<ClientReply> replyTo);
  }

  /** How one request is sent and its answer awaited: the answer, or a failed stage when none came in time. */
  interface Asker {
    CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestMaker maker, byte[] payload, int hops,
        Duration timeout);

    /** True when the stages {@link #ask} returns always complete on the system's dispatcher. */
    default boolean completesOnDispatcher() {
      return false;
    }
  }

  private static final Duration RETRY_DELAY_MAX = Duration.ofMillis(32);
  private static final int QUICK_RETRIES = 20;

  private final ActorSystem<?> system;
  private final KryoCodec codec;
  private final Asker asker;

  /** Asks with a temporary actor per request (Pekko's ask): right for a member asking its own server. */
  public RequestLoop(ActorSystem<?> system, KryoCodec codec) {
    this(system, codec, (server, maker, payload, hops, timeout) -> AskPattern.<ServerCommand, ClientReply>ask(
        server, replyTo -> maker.make(payload, hops, 0, replyTo), timeout, system.scheduler()));
  }

  RequestLoop(ActorSystem<?> system, KryoCodec codec, Asker asker) {
    this.system = system;
    this.codec = codec;
    this.asker = asker;
  }

  public <R> CompletionStage<R> command(Object command, Route route, Duration timeout) {
    return encodeAndRequest(command, "command", ClientRequest.ClientCommand::new, route, timeout);
  }

  public <R> CompletionStage<R> query(Object query, ReadConsistency consistency, Route route, Duration timeout) {
    return query(query, io.pekkoraft.consensus.ReadOptions.of(consistency), route, timeout);
  }

  public <R> CompletionStage<R> query(Object query, io.pekkoraft.consensus.ReadOptions options, Route route,
      Duration timeout) {
    return encodeAndRequest(query, "query",
        (bytes, hops, tag, replyTo) -> ClientRequest.ClientQuery.of(bytes, options, hops, tag, replyTo), route,
        timeout);
  }

  private <R> CompletionStage<R> encodeAndRequest(
      Object payload, String what, RequestMaker maker, Route route, Duration timeout) {
    byte[] bytes;
    try {
      bytes = codec.toBytes(payload);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new RaftException.Rejected(what + " not sent: " + e.getMessage(), e));
    }
    Request<R> request = new Request<>(bytes, maker, route, System.nanoTime() + timeout.toNanos(), timeout);
    attempt(request);
    return request.result;
  }

  /** One request across its attempts. */
  private static final class Request<R> {
    final byte[] bytes;
    final RequestMaker maker;
    final Route route;
    final long deadline;
    final Duration timeout;
    final CompletableFuture<R> result = new CompletableFuture<>();
    /** Waits so far for a leader to be known (see retryLater). */
    int waits;

    Request(byte[] bytes, RequestMaker maker, Route route, long deadline, Duration timeout) {
      this.bytes = bytes;
      this.maker = maker;
      this.route = route;
      this.deadline = deadline;
      this.timeout = timeout;
    }
  }

  @SuppressWarnings("unchecked")
  private <R> void attempt(Request<R> request) {
    Route route = request.route;
    ActorRef<ServerCommand> server = route.next();
    if (server == null) {
      retryLater(request, null);
      return;
    }
    Duration remaining = Duration.ofNanos(Math.max(1, request.deadline - System.nanoTime()));
    CompletionStage<ClientReply> answer = asker.ask(server, request.maker, request.bytes, route.hops(), remaining);
    BiConsumer<ClientReply, Throwable> handler = (reply, failure) -> {
      if (failure != null) {
        route.noAnswer(server);
        request.result.completeExceptionally(new RaftException.Timeout(
            "no answer within " + request.timeout.toMillis() + " ms; outcome unknown"));
      } else if (reply instanceof ClientReply.Applied applied) {
        route.served(server);
        request.result.complete((R) applied.result());
      } else if (reply instanceof ClientReply.NotLeader notLeader) {
        if (route.notLeader(server, notLeader.leaderId()) && System.nanoTime() < request.deadline) {
          attempt(request);
        } else {
          retryLater(request, notLeader.leaderId());
        }
      } else {
        request.result.completeExceptionally(toException(reply));
      }
    };
    // The handler must run on the system's dispatcher. A plain whenComplete on the stage Pekko's ask returns
    // runs asynchronously on the JDK's common pool, which on a machine of 1-2 cores starts a new thread per
    // task: one thread per request. An asker whose stages complete on the dispatcher saves the hop.
    if (asker.completesOnDispatcher()) answer.whenComplete(handler);
    else answer.whenCompleteAsync(handler, system.executionContext());
  }

  /**
   * No leader to go to right now (an election or a hand-over is under way): try again every millisecond
   * for the first {@link #QUICK_RETRIES} waits (a hand-over takes a few), then after 2, 4, ... up to
   * RETRY_DELAY_MAX, so that a client finds a new leader within a millisecond of its election without
   * flooding the members through a long one.
   */
  private <R> void retryLater(Request<R> request, String lastLeaderHint) {
    int slow = request.waits - QUICK_RETRIES;
    long delayMs = slow < 0 ? 1 : Math.min(RETRY_DELAY_MAX.toMillis(), 2L << Math.min(slow, 20));
    request.waits++;
    if (System.nanoTime() + delayMs * 1_000_000 >= request.deadline) {
      request.result.completeExceptionally(new RaftException.NotLeader(lastLeaderHint));
      return;
    }
    // Not Pekko's scheduler: it ticks every 10 ms (pekko.scheduler.tick-duration), which would turn each
    // 1 ms wait into 10-30 ms and keep a client away from a new leader long after its election.
    CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, system.executionContext()).execute(() -> {
      try {
        attempt(request);
      } catch (RuntimeException e) {
        request.result.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
      }
    });
  }

  private static RaftException toException(ClientReply reply) {
    if (reply instanceof ClientReply.Timeout t) return new RaftException.Timeout(t.reason());
    if (reply instanceof ClientReply.NoQuorum n) return new RaftException.NoQuorum(n.reason());
    if (reply instanceof ClientReply.Rejected r) return new RaftException.Rejected(r.reason());
    if (reply instanceof ClientReply.TooStale s) return new RaftException.TooStale(s.reason(), s.appliedIndex(), s.entriesBehind());
    if (reply instanceof ClientReply.CommandFailed f) {
      return new RaftException.CommandFailed("committed at index " + f.index() + " and refused by the state machine: "
          + f.reason(), f.index());
    }
    throw new IllegalStateException("unexpected reply " + reply);
  }
}
