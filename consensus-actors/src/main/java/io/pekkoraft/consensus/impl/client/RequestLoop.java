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
import java.util.function.LongSupplier;
import io.pekkoraft.consensus.impl.SessionSettings;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.annotation.InternalApi;

/**
 * How {@link RaftGroup} and {@link RaftClient} make a request: serialize the payload once (an unregistered
 * class fails at once, nothing sent), ask a server, and follow NotLeader answers until the deadline. A
 * NotLeader answer means "not applied", so retrying is safe. CommandFailed (committed, refused by the state
 * machine) is final: retrying would fail again.
 *
 * <p>With client sessions on ({@code pekko-raft.session.enabled}, the default) a command carries this loop's
 * session and a sequence number, so the servers apply it at most once however often it is sent: no answer
 * within {@code session.attempt-timeout}, Timeout and NoQuorum ("outcome unknown") are retried with the same
 * sequence until the deadline, and the caller sees Timeout only when the deadline passed with the outcome still
 * unknown. The session is opened through the log on first use, kept alive every ttl/3 while idle, and opened
 * again when it expired: a command surely not applied is then sent in the new session, one that may have been
 * applied fails with {@link RaftException.SessionExpired}. With sessions off, outcome-unknown answers to commands
 * are never retried here: the caller decides.
 *
 * <p>A read changes nothing, so it is always safe to send again: whatever the session setting, each attempt
 * waits at most {@code session.attempt-timeout}, and a read with no answer (a server that died with it), or
 * answered Timeout or NoQuorum, is sent again, to where the route points then, until the deadline.
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

    /**
     * Whether a NotLeader answer is followed (tried again until the deadline); false: it fails the request at
     * once with {@link RaftException.NotLeader} (a request only this member may serve, while it leads).
     */
    default boolean followsNotLeader() {
      return true;
    }

    /**
     * Always {@code server}; a NotLeader answer names no new server to ask (the request waits a little and asks
     * again while {@code followsNotLeader}, else fails), and no answer changes nothing.
     */
    static Route to(ActorRef<ServerCommand> server, int hops, boolean followsNotLeader) {
      return new Route() {
        @Override
        public ActorRef<ServerCommand> next() {
          return server;
        }

        @Override
        public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
          return false;
        }

        @Override
        public void served(ActorRef<ServerCommand> asked) {}

        @Override
        public void noAnswer(ActorRef<ServerCommand> asked) {}

        @Override
        public int hops() {
          return hops;
        }

        @Override
        public boolean followsNotLeader() {
          return followsNotLeader;
        }
      };
    }
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
  /** Null: sessions off. */
  private final ClientSession session;
  /** The session settings, also when sessions are off (the attempt timeout of requests in a caller's session). */
  private final SessionSettings sessionSettings;
  private final LongSupplier nanoTime;
  /** Waits between attempts on Pekko's scheduler (simulated time in tests), not on the JDK's timer. */
  private final boolean delaysOnScheduler;
  /** Where keep-alives go: the route of the latest command. */
  private volatile Route lastRoute;
  private Cancellable keepAlives; // guarded by this

  /** Asks with a temporary actor per request (Pekko's ask): right for a member asking its own server. */
  public RequestLoop(ActorSystem<?> system, KryoCodec codec) {
    this(system, codec, pekkoAsk(system), sessionSettings(system), System::nanoTime, false);
  }

  /**
   * Like {@link #RequestLoop(ActorSystem, KryoCodec)} with these session settings, deadlines on {@code nanoTime}
   * and waits on the system's scheduler: for tests on simulated time.
   */
  public RequestLoop(ActorSystem<?> system, KryoCodec codec, SessionSettings sessions, LongSupplier nanoTime) {
    this(system, codec, pekkoAsk(system), sessions, nanoTime, true);
  }

  RequestLoop(ActorSystem<?> system, KryoCodec codec, Asker asker) {
    this(system, codec, asker, sessionSettings(system), System::nanoTime, false);
  }

  /** With this asker, these session settings, deadlines on {@code nanoTime} and waits on the system's scheduler. */
  RequestLoop(ActorSystem<?> system, KryoCodec codec, Asker asker, SessionSettings sessions, LongSupplier nanoTime) {
    this(system, codec, asker, sessions, nanoTime, true);
  }

  private RequestLoop(ActorSystem<?> system, KryoCodec codec, Asker asker, SessionSettings sessions,
      LongSupplier nanoTime, boolean delaysOnScheduler) {
    this.system = system;
    this.codec = codec;
    this.asker = asker;
    this.session = sessions.enabled() ? new ClientSession(sessions) : null;
    this.sessionSettings = sessions;
    this.nanoTime = nanoTime;
    this.delaysOnScheduler = delaysOnScheduler;
  }

  private static Asker pekkoAsk(ActorSystem<?> system) {
    return (server, maker, payload, hops, timeout) -> AskPattern.<ServerCommand, ClientReply>ask(
        server, replyTo -> maker.make(payload, hops, 0, replyTo), timeout, system.scheduler());
  }

  private static SessionSettings sessionSettings(ActorSystem<?> system) {
    return SessionSettings.fromConfig(system.settings().config().getConfig("pekko-raft"));
  }

  /** The session settings when sessions are on, else null. */
  public SessionSettings sessions() {
    return session == null ? null : session.settings();
  }

  /** Stops the keep-alives of this loop's session. */
  public void close() {
    synchronized (this) {
      if (keepAlives != null) keepAlives.cancel();
    }
  }

  public <R> CompletionStage<R> command(Object command, Route route, Duration timeout) {
    if (session == null) return encodeAndRequest(command, "command", ClientRequest.ClientCommand::new, route, timeout);
    byte[] bytes;
    try {
      bytes = codec.toBytes(command);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new RaftException.Rejected("command not sent: " + e.getMessage(), e));
    }
    long sequence = session.start();
    if (sequence == 0) {
      return CompletableFuture.failedFuture(new RaftException.Rejected("command not sent: "
          + session.settings().cachedResultsMax() + " commands of this client wait for their answer"
          + " (pekko-raft.session.max-cached-results-per-session)"));
    }
    lastRoute = route;
    Request<R> request = new Request<>(bytes, null, route, nanoTime.getAsLong() + timeout.toNanos(), timeout);
    request.sequence = sequence;
    request.retryUnknown = true;
    request.result.whenComplete((r, f) -> session.done(sequence));
    attempt(request);
    return request.result;
  }

  /**
   * A command in a session the caller holds itself (a gateway's remote client): sent with exactly this
   * {@code sessionId}, {@code sequence} and {@code ackedSequence}, whatever this loop's own session. Like this
   * loop's session commands, an outcome-unknown answer (no answer, Timeout, NoQuorum, a Rejected retry after one)
   * is sent again with the same sequence until the deadline, so the servers answer a command applied before
   * with its first result. {@code sessionId} 0: no session, and an outcome-unknown answer is never retried
   * (Timeout or NoQuorum to the caller). Completes with the whole {@link ClientReply.Applied}, index included.
   */
  public CompletionStage<ClientReply.Applied> commandInSession(Object command, long sessionId, long sequence,
      long ackedSequence, Route route, Duration timeout) {
    if (sessionId < 0 || sequence < 0 || ackedSequence < 0 || sessionId > 0 && sequence == 0) {
      throw new IllegalArgumentException("session " + sessionId + ", sequence " + sequence + ", acknowledged "
          + ackedSequence + ": a session command needs a sequence of 1 or more");
    }
    byte[] bytes;
    try {
      bytes = codec.toBytes(command);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new RaftException.Rejected("command not sent: " + e.getMessage(), e));
    }
    RequestMaker maker = sessionId == 0 ? ClientRequest.ClientCommand::new
        : (b, hops, tag, replyTo) -> new ClientRequest.ClientCommand(b, sessionId, sequence, ackedSequence, hops, tag,
            replyTo);
    Request<ClientReply.Applied> request = new Request<>(bytes, maker, route, nanoTime.getAsLong() + timeout.toNanos(),
        timeout);
    request.wholeReply = true;
    request.callersSession = sessionId > 0;
    request.retryUnknown = sessionId > 0;
    attempt(request);
    return request.result;
  }

  /**
   * Opens a session through the log for a caller that holds it itself (no keep-alives from this loop: the
   * caller sends {@link #keepAlive}); completes with its id. Retried like a session command: an opening whose
   * outcome was unknown may leave a session nobody uses, which expires.
   */
  public CompletionStage<Long> openSession(Route route, Duration timeout) {
    Request<Long> open = new Request<>(new byte[0],
        (bytes, hops, tag, replyTo) -> ClientRequest.ClientCommand.openSession(hops, tag, replyTo), route,
        nanoTime.getAsLong() + timeout.toNanos(), timeout);
    open.retryUnknown = true;
    attempt(open);
    return open.result;
  }

  /** Keeps {@code sessionId} alive through the log; fails with {@link RaftException.SessionExpired} when it is not open. */
  public CompletionStage<Long> keepAlive(long sessionId, Route route, Duration timeout) {
    if (sessionId <= 0) throw new IllegalArgumentException("session id " + sessionId);
    Request<Long> keepAlive = new Request<>(new byte[0],
        (bytes, hops, tag, replyTo) -> ClientRequest.ClientCommand.keepAlive(sessionId, hops, tag, replyTo), route,
        nanoTime.getAsLong() + timeout.toNanos(), timeout);
    keepAlive.retryUnknown = true;
    attempt(keepAlive);
    return keepAlive.result;
  }

  /** Opens a session through the log (its id is the index of its entry); retried like a command. */
  private CompletableFuture<Long> openSession(Route route, long deadline, Duration timeout) {
    Request<Long> open = new Request<>(new byte[0],
        (bytes, hops, tag, replyTo) -> ClientRequest.ClientCommand.openSession(hops, tag, replyTo), route, deadline,
        timeout);
    open.retryUnknown = true;
    attempt(open);
    return open.result.thenApply(id -> {
      startKeepAlives();
      return id;
    });
  }

  /** Every ttl/3, a keep-alive through the log when the session sent nothing for that long. */
  private void startKeepAlives() {
    synchronized (this) {
      if (keepAlives != null) return;
      Duration every = session.settings().ttl().dividedBy(3);
      keepAlives = system.scheduler().scheduleWithFixedDelay(every, every, () -> {
        long id = session.openId();
        Route route = lastRoute;
        if (id == 0 || route == null || nanoTime.getAsLong() - session.lastSentNanos < every.toNanos()) return;
        session.lastSentNanos = nanoTime.getAsLong();
        Duration timeout = session.settings().attemptTimeout();
        Request<Object> keepAlive = new Request<>(new byte[0],
            (bytes, hops, tag, replyTo) -> ClientRequest.ClientCommand.keepAlive(id, hops, tag, replyTo), route,
            nanoTime.getAsLong() + timeout.toNanos(), timeout);
        attempt(keepAlive);
        keepAlive.result.whenComplete((r, f) -> {
          if (f instanceof RaftException.SessionExpired || f != null && f.getCause() instanceof RaftException.SessionExpired) {
            session.expired(id);
          }
        });
      }, system.executionContext());
    }
  }

  public <R> CompletionStage<R> query(Object query, ReadConsistency consistency, Route route, Duration timeout) {
    return query(query, io.pekkoraft.consensus.ReadOptions.of(consistency), route, timeout);
  }

  public <R> CompletionStage<R> query(Object query, io.pekkoraft.consensus.ReadOptions options, Route route,
      Duration timeout) {
    return encodeAndRequest(query, "query",
        (bytes, hops, tag, replyTo) -> ClientRequest.ClientQuery.of(bytes, options, hops, tag, replyTo), route,
        timeout, true);
  }

  private <R> CompletionStage<R> encodeAndRequest(
      Object payload, String what, RequestMaker maker, Route route, Duration timeout) {
    return encodeAndRequest(payload, what, maker, route, timeout, false);
  }

  private <R> CompletionStage<R> encodeAndRequest(
      Object payload, String what, RequestMaker maker, Route route, Duration timeout, boolean read) {
    byte[] bytes;
    try {
      bytes = codec.toBytes(payload);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new RaftException.Rejected(what + " not sent: " + e.getMessage(), e));
    }
    Request<R> request = new Request<>(bytes, maker, route, nanoTime.getAsLong() + timeout.toNanos(), timeout);
    request.read = read;
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
    /** A command's sequence in the loop's session; 0: not a session command. */
    long sequence;
    /** The session it goes in; 0 while none is open. */
    long sessionId;
    /** Retry outcome-unknown answers until the deadline (session requests). */
    boolean retryUnknown;
    /** An attempt may have been appended: a retry is answered from the session, or the outcome stays unknown. */
    boolean maybeApplied;
    /** Complete with the whole Applied reply (result and index), not only the result. */
    boolean wholeReply;
    /** A command in a session the caller holds ({@link #commandInSession}), not this loop's. */
    boolean callersSession;
    /** A read: each attempt waits at most the attempt timeout, and one not served is sent again until the deadline. */
    boolean read;

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
    // The session is open, as a rule: the command goes on from this thread, without a hop through the dispatcher.
    if (request.sequence > 0 && request.sessionId == 0) request.sessionId = session.openIdNow();
    if (request.sequence > 0 && request.sessionId == 0) {
      session.id(() -> openSession(request.route, request.deadline, request.timeout))
          .whenCompleteAsync((id, failure) -> {
            if (failure == null) {
              request.sessionId = id;
              attempt(request);
            } else {
              Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
              // The command itself was not sent: not applied, whatever became of the session's opening.
              request.result.completeExceptionally(cause instanceof RaftException.Timeout
                  || cause instanceof RaftException.NoQuorum ? new RaftException.NotLeader(null) : cause);
            }
          }, system.executionContext());
      return;
    }
    Route route = request.route;
    ActorRef<ServerCommand> server = route.next();
    if (server == null) {
      retryLater(request, null);
      return;
    }
    long now = nanoTime.getAsLong();
    Duration remaining = Duration.ofNanos(Math.max(1, request.deadline - now));
    Duration timeout = (request.retryUnknown || request.read) && remaining.compareTo(sessionSettings.attemptTimeout()) > 0
        ? sessionSettings.attemptTimeout() : remaining;
    RequestMaker maker = request.maker;
    if (request.sequence > 0) {
      long sessionId = request.sessionId;
      long sequence = request.sequence;
      long acked = session.acked();
      maker = (bytes, hops, tag, replyTo) ->
          new ClientRequest.ClientCommand(bytes, sessionId, sequence, acked, hops, tag, replyTo);
      session.lastSentNanos = now;
    }
    CompletionStage<ClientReply> answer = asker.ask(server, maker, request.bytes, route.hops(), timeout);
    long sentAt = now;
    BiConsumer<ClientReply, Throwable> handler = (reply, failure) -> {
      if (failure != null) {
        route.noAnswer(server);
        if ((request.retryUnknown || request.read) && nanoTime.getAsLong() < request.deadline) {
          request.maybeApplied = true; // for a read: at the deadline, Timeout rather than NotLeader
          if (nanoTime.getAsLong() - sentAt < timeout.toNanos()) {
            // Failed before its timeout: the server actor is gone (Pekko fails an ask to a terminated actor
            // at once), a local server stopped without its stop being seen. Sent again at once, the request
            // would spin until its deadline: wait as for a leader instead.
            retryLater(request, null);
          } else {
            attempt(request);
          }
        } else {
          request.result.completeExceptionally(new RaftException.Timeout(
              "no answer within " + request.timeout.toMillis() + " ms; outcome unknown"));
        }
      } else if (reply instanceof ClientReply.Applied applied) {
        route.served(server);
        request.result.complete((R) (request.wholeReply ? applied : applied.result()));
      } else if (reply instanceof ClientReply.NotLeader notLeader && !route.followsNotLeader()) {
        request.result.completeExceptionally(new RaftException.NotLeader(notLeader.leaderId()));
      } else if (reply instanceof ClientReply.NotLeader notLeader) {
        if (route.notLeader(server, notLeader.leaderId()) && nanoTime.getAsLong() < request.deadline) {
          attempt(request);
        } else {
          retryLater(request, notLeader.leaderId());
        }
      } else if ((request.retryUnknown || request.read)
          && (reply instanceof ClientReply.Timeout || reply instanceof ClientReply.NoQuorum)) {
        request.maybeApplied = true; // leadership lost after the append: wait for the next leader, send again
        retryLater(request, null);
      } else if (reply instanceof ClientReply.SessionExpired expired && request.sequence > 0) {
        session.expired(expired.sessionId());
        if (!request.maybeApplied && nanoTime.getAsLong() < request.deadline) {
          request.sessionId = 0; // surely not applied: send it in a new session
          attempt(request);
        } else {
          request.result.completeExceptionally(new RaftException.SessionExpired("outcome unknown, session expired: "
              + expired.reason() + "; an earlier send of this command, before its outcome was known, may have been"
              + " applied (once)"));
        }
      } else if (reply instanceof ClientReply.SessionExpired expired && request.callersSession) {
        request.result.completeExceptionally(new RaftException.SessionExpired("session " + expired.sessionId()
            + " is not open (" + expired.reason() + "): " + (request.maybeApplied
                ? "outcome unknown, an earlier send of this command, before its outcome was known, may have been"
                    + " applied (once)"
                : "the command was not applied")));
      } else if (reply instanceof ClientReply.Rejected && request.maybeApplied && request.retryUnknown) {
        // This copy was refused (an overloaded leader, say), but an earlier one may be in the log: "not
        // applied" would be wrong. Send it again until the session answers it or the deadline passes.
        retryLater(request, null);
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
    if (nanoTime.getAsLong() + delayMs * 1_000_000 >= request.deadline) {
      request.result.completeExceptionally(request.maybeApplied
          ? new RaftException.Timeout("no answer that settles the outcome within " + request.timeout.toMillis()
              + " ms; outcome unknown")
          : new RaftException.NotLeader(lastLeaderHint));
      return;
    }
    Runnable again = () -> {
      try {
        attempt(request);
      } catch (RuntimeException e) {
        request.result.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
      }
    };
    if (delaysOnScheduler) {
      system.scheduler().scheduleOnce(Duration.ofMillis(delayMs), again, system.executionContext());
      return;
    }
    // Not Pekko's scheduler: it ticks every 10 ms (pekko.scheduler.tick-duration), which would turn each
    // 1 ms wait into 10-30 ms and keep a client away from a new leader long after its election.
    CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, system.executionContext()).execute(again);
  }

  private static RaftException toException(ClientReply reply) {
    if (reply instanceof ClientReply.Timeout t) return new RaftException.Timeout(t.reason());
    if (reply instanceof ClientReply.NoQuorum n) return new RaftException.NoQuorum(n.reason());
    if (reply instanceof ClientReply.Rejected r) return new RaftException.Rejected(r.reason());
    if (reply instanceof ClientReply.TooStale s) return new RaftException.TooStale(s.reason(), s.appliedIndex(), s.entriesBehind());
    if (reply instanceof ClientReply.SessionExpired e) return new RaftException.SessionExpired(e.reason());
    if (reply instanceof ClientReply.CommandFailed f) {
      return new RaftException.CommandFailed("committed at index " + f.index() + " and refused by the state machine: "
          + f.reason(), f.index());
    }
    throw new IllegalStateException("unexpected reply " + reply);
  }
}
