package io.pekkoraft.consensus;

import io.pekkoraft.consensus.impl.AppliedHistory;
import io.pekkoraft.consensus.impl.AppliedSource;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A handle to a Raft group from one node: submit commands and read, from any member. A member that is
 * not the leader forwards the request to the leader; while no leader is known (during an election) the
 * handle retries until {@code pekko-raft.client.ask-timeout}.
 *
 * <p>Results complete the stage; failures complete it exceptionally with a {@link RaftException}. Once the
 * local server has stopped, every call fails at once with {@link RaftException.ServerStopped}.
 * For the typed replies themselves, send {@link ClientRequest}s to {@link #server()}.
 */
public final class RaftGroup<C, Q, R> {

  private final String groupId;
  private final String memberId;
  private final ActorRef<ServerCommand> server;
  private final Duration askTimeout;
  private final ActorSystem<?> system;
  private final RequestLoop requests;
  /** Always the local server: a member forwards to the leader itself, and answers NotLeader while none is known. */
  private final RequestLoop.Route localServer;
  /** The local server while it leads: it answers NotLeader instead of forwarding, and NotLeader is final. */
  private final RequestLoop.Route leaderHere;
  /** Completed, with why, when the local server stops; requests then fail at once. */
  private final CompletableFuture<String> serverStopped;
  /** What this member's state machine applied most recently, for {@link #watchApplied}. */
  private final AppliedHistory history;
  private final ClientProxy<C, Q, R> clientProxy;

  /**
   * A handle around a server started without an {@link AppliedHistory} of its own (tests that spawn one by
   * hand): its watches see nothing applied.
   */
  RaftGroup(String groupId, String memberId, ActorRef<ServerCommand> server, ActorSystem<?> system, KryoCodec codec,
      Duration askTimeout, CompletableFuture<String> serverStopped) {
    this(groupId, memberId, server, system, codec, askTimeout, serverStopped, new AppliedHistory(1));
  }

  RaftGroup(String groupId, String memberId, ActorRef<ServerCommand> server, ActorSystem<?> system, KryoCodec codec,
      Duration askTimeout, CompletableFuture<String> serverStopped, AppliedHistory history) {
    this.groupId = groupId;
    this.history = history;
    this.serverStopped = serverStopped;
    this.memberId = memberId;
    this.server = server;
    this.askTimeout = askTimeout;
    this.system = system;
    this.requests = new RequestLoop(system, codec);
    // This member's own server: one that does not lead forwards the request (hops 0); NotLeader means an
    // election is under way, or the leader is not listed here yet, so the request waits a little.
    this.localServer = RequestLoop.Route.to(server, 0, true);
    // Requests only this member may serve, while it leads: NotLeader at once, never forwarded.
    this.leaderHere = RequestLoop.Route.to(server, 1, false);
    this.clientProxy = new ClientProxy<>(this, requests, localServer, system);
  }

  /**
   * Requests on behalf of clients outside the cluster that hold their own session (a gateway's clients), each
   * with its own timeout: see {@link ClientProxy}.
   */
  public ClientProxy<C, Q, R> clientProxy() {
    return clientProxy;
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
   * {@link RaftException.Rejected} at once; one the state machine refused (its {@code apply} threw) fails it
   * with {@link RaftException.CommandFailed}: committed, refused alike on every replica, not to be retried.
   */
  public CompletionStage<R> submit(C command) {
    CompletionStage<R> stopped = failIfStopped();
    return stopped != null ? stopped : requests.command(command, localServer, askTimeout);
  }

  /**
   * Like {@link #submit(Object)}, bounded by {@code timeout} instead of {@code pekko-raft.client.ask-timeout}:
   * for a caller with a deadline of its own (a gateway's client). When it passes the stage fails with
   * {@link RaftException.Timeout} (outcome unknown) or {@link RaftException.NotLeader} (not applied).
   */
  public CompletionStage<R> submit(C command, Duration timeout) {
    CompletionStage<R> stopped = failIfStopped();
    return stopped != null ? stopped : requests.command(command, localServer, timeout);
  }

  /**
   * Replicate {@code command} through this member only, as its leader: appended in the term this member leads,
   * never forwarded to another leader, outside any client session, sent once. For what only a leader may decide
   * in its own term (the etcd API's lease expiry, which the state machine checks against the entry's term with
   * {@link AppliedEntry#term}). Fails with {@link RaftException.NotLeader} at once when this member does not lead
   * (not applied), with {@link RaftException.Timeout} or {@link RaftException.NoQuorum} when it lost the
   * leadership after the append (outcome unknown: in the log of that term only if that term commits it).
   */
  public CompletionStage<R> submitAsLeader(C command, Duration timeout) {
    CompletionStage<R> stopped = failIfStopped();
    if (stopped != null) return stopped;
    return requests.commandInSession(command, 0, 0, 0, leaderHere, timeout).thenApply(this::resultOf);
  }

  /**
   * A read of {@code consistency} LINEARIZABLE or LEASE served by this member only, as its leader: it completes
   * only once this member has confirmed it still leads (a ReadIndex round a majority answered, or its leader
   * lease), so a deposed leader that has not heard of its successor never answers it. Fails with
   * {@link RaftException.NotLeader} at once when this member does not lead, with {@link RaftException.Timeout}
   * when no majority confirmed it in time.
   */
  public CompletionStage<R> readAsLeader(Q query, ReadConsistency consistency, Duration timeout) {
    if (consistency != ReadConsistency.LINEARIZABLE && consistency != ReadConsistency.LEASE) {
      throw new IllegalArgumentException("a read as leader confirms the leadership: LINEARIZABLE or LEASE, not "
          + consistency);
    }
    CompletionStage<R> stopped = failIfStopped();
    return stopped != null ? stopped : requests.query(query, ReadOptions.of(consistency), leaderHere, timeout);
  }

  @SuppressWarnings("unchecked")
  private R resultOf(io.pekkoraft.consensus.protocol.ClientReply.Applied applied) {
    return (R) applied.result();
  }

  /** A failed stage when the local server has stopped (nothing is sent), else null. */
  <T> CompletionStage<T> failIfStopped() {
    String reason = serverStopped.getNow(null);
    if (reason == null) return null;
    return CompletableFuture.failedFuture(new RaftException.ServerStopped("the server of group " + groupId
        + " on member " + memberId + " has stopped (" + reason + "); the request was not sent"));
  }

  /** A linearizable read: sees every command acknowledged before it started. */
  public CompletionStage<R> read(Q query) {
    return read(query, ReadConsistency.LINEARIZABLE);
  }

  /** A read of the chosen consistency; an unserializable query fails like an unserializable command. */
  public CompletionStage<R> read(Q query, ReadConsistency consistency) {
    return read(query, ReadOptions.of(consistency));
  }

  /**
   * A read of the chosen consistency, with a bound for a STALE one ({@link ReadOptions#staleWithin},
   * {@link ReadOptions#staleFrom}): a node further behind fails it with {@link RaftException.TooStale}.
   */
  public CompletionStage<R> read(Q query, ReadOptions options) {
    CompletionStage<R> stopped = failIfStopped();
    return stopped != null ? stopped : requests.query(query, options, localServer, askTimeout);
  }

  /** Like {@link #read(Object, ReadOptions)}, bounded by {@code timeout} instead of the ask timeout. */
  public CompletionStage<R> read(Q query, ReadOptions options, Duration timeout) {
    CompletionStage<R> stopped = failIfStopped();
    return stopped != null ? stopped : requests.query(query, options, localServer, timeout);
  }

  /**
   * The commands this member's state machine applies, from log index {@code fromIndex} on, in log order, each
   * with its result (or why the state machine refused it) and its client session: see {@link AppliedCommand}
   * for which entries are left out. The commands already applied come first, then each one as it is applied;
   * the source never completes on its own. To resume after a failure or a reconnect, on this member or
   * another, watch again from the last index seen + 1: every member applies the same commands at the same
   * indexes with the same results.
   *
   * <p>Each member holds its latest {@code pekko-raft.watch.buffer-entries} applied commands in memory (and
   * none before a snapshot it restored, at start or from the leader). A watch from an index before those, or
   * one whose consumer falls so far behind that its next index is dropped, fails with
   * {@link RaftException.WatchFromTooOld} (with the first index still held), never skipping a command
   * silently. The source reads only as its consumer asks (backpressure): a slow consumer costs no memory beyond
   * a few dozen commands. It fails with {@link RaftException.ServerStopped} when this member's server stops.
   *
   * @param fromIndex the first log index to stream, 1 or more
   */
  public Source<AppliedCommand<C, R>, NotUsed> watchApplied(long fromIndex) {
    if (fromIndex < 1) throw new IllegalArgumentException("a watch starts at log index 1 or later, not " + fromIndex);
    return Source.fromGraph(new AppliedSource<C, R>(history, fromIndex, serverStopped,
        what -> "watch of group " + groupId + " on member " + memberId + " from index " + fromIndex + ": " + what));
  }

  /**
   * How many {@link #watchApplied} streams run on this member now: one ends when its subscriber cancels it
   * (a gateway client that cancels, or whose deadline passes) or it fails, and lets go of what it held.
   */
  public int watchesRunning() {
    return history.readers();
  }

  /**
   * Hand the leadership over to the voter whose log is most up to date (thesis §3.10), for example
   * before maintenance of the leader's machine. See {@link #transferLeadership(String)}.
   */
  public CompletionStage<String> transferLeadership() {
    return transfer(null);
  }

  /**
   * Hand the leadership over to {@code memberId}. Asked on any member (a follower forwards it to the
   * leader). The leader stops accepting new commands (they fail with {@link RaftException.NotLeader}, not
   * applied, and the handle retries them), brings the target's log up to date, and has it start an
   * election at once, so the group is without a leader for about one round trip instead of an election
   * timeout. Completes with the id of the member that leads afterwards; fails with
   * {@link RaftException.Timeout} when no new leader was known within
   * {@code pekko-raft.leadership-transfer-timeout} (the old leader then serves again),
   * {@link RaftException.Rejected} when {@code memberId} is not a voting member, and
   * {@link RaftException.NotLeader} when no leader is known.
   */
  public CompletionStage<String> transferLeadership(String memberId) {
    return transfer(Objects.requireNonNull(memberId, "memberId"));
  }

  private CompletionStage<String> transfer(String target) {
    CompletionStage<String> stopped = failIfStopped();
    if (stopped != null) return stopped;
    return AskPattern.<ServerCommand, TransferReply>ask(
            server, replyTo -> new TransferLeadership(target, true, replyTo), askTimeout, system.scheduler())
        .handleAsync((reply, failure) -> {
          if (reply instanceof TransferReply.Transferred t) return t.leaderId();
          if (reply instanceof TransferReply.NotLeader n) throw new RaftException.NotLeader(n.leaderId());
          if (reply instanceof TransferReply.Rejected r) throw new RaftException.Rejected(r.reason());
          if (reply instanceof TransferReply.Timeout t) throw new RaftException.Timeout(t.reason());
          throw new RaftException.Timeout("no answer to the leadership transfer within " + askTimeout.toMillis()
              + " ms (pekko-raft.client.ask-timeout)");
        }, system.executionContext()); // not the common pool: see impl.client.RequestLoop
  }
}
