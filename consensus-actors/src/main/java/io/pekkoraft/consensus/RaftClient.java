package io.pekkoraft.consensus;

import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.impl.client.ClientConnection;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.annotation.InternalApi;

/**
 * A client of a Raft group from an ActorSystem that is not one of its members: a web tier, a batch job, a
 * test driver. It joins the same Pekko Cluster, finds the members through the receptionist, and sends each
 * command and LINEARIZABLE or LEASE read to the member it believes leads; a member that is not the leader
 * answers NotLeader naming the leader it knows, and the client goes there at once (or, while an election
 * runs, tries again shortly). FOLLOWER and STALE reads go to the other members in turn, which serve them
 * themselves, and to the leader when none of them can be reached. A server that gave no answer within
 * {@code pekko-raft.session.attempt-timeout} is passed over for a while (its node may be gone), also when
 * the others still name it as the leader.
 *
 * <pre>{@code
 * RaftClient<Command, Query, Long> counter = RaftClient.create(system, "counter");
 * counter.submit(new Increment(1)).thenAccept(value -> ...);
 * }</pre>
 *
 * The members are first those of {@code pekko-raft.members} of this system's configuration (the same list
 * the members use; one current member suffices); when an answer names a leader the client does not know,
 * and every {@code pekko-raft.client.membership-refresh-interval}, it asks the group for its membership and
 * follows the members added at run time at their recorded addresses. The request deadline comes from
 * {@code pekko-raft.client.ask-timeout}, or {@link #withAskTimeout}.
 * Failures are {@link RaftException}s: NotLeader and Rejected mean "not applied", Timeout and NoQuorum mean
 * "outcome unknown"; CommandFailed means committed and refused by the state machine on every replica (the
 * state is unchanged), final. With client sessions on (the default, {@code pekko-raft.session}), the client
 * retries outcome-unknown commands itself, and the group applies each at most once: Timeout then means the
 * deadline passed with the outcome still unknown, and SessionExpired that the session expired meanwhile.
 *
 * <p>All clients of one group on one ActorSystem share a connection: the listing, the leader hint, and
 * an outbox that sends the requests of concurrent clients to the leader as one message (and the leader
 * answers those it applied together as one message), so many clients cost little more on the network
 * than one. Callbacks attached with non-async methods run on the system's dispatcher and must not block.
 */
public final class RaftClient<C, Q, R> implements AutoCloseable {

  private final String groupId;
  private final ClientConnection connection;
  private final Duration askTimeout;
  /** Shared by a client and those made from it by {@link #withAskTimeout}: the connection is released once. */
  private final AtomicBoolean closed;
  private final ClientConnection.Registry registry;

  private RaftClient(String groupId, ClientConnection.Registry registry, ClientConnection connection,
      Duration askTimeout, AtomicBoolean closed) {
    this.groupId = groupId;
    this.registry = registry;
    this.connection = connection;
    this.askTimeout = askTimeout;
    this.closed = closed;
  }

  /** A client of {@code groupId}, whose bootstrap members (or current ones) this system's {@code pekko-raft.members} lists. */
  public static <C, Q, R> RaftClient<C, Q, R> create(ActorSystem<?> system, String groupId) {
    Objects.requireNonNull(groupId, "groupId");
    RaftSettings settings = RaftSettings.fromConfig(system.settings().config());
    ClientConnection.Registry registry = system.registerExtension(ClientConnection.Registry.ID);
    ClientConnection connection = registry.acquire(groupId, PekkoRaft.parseMembers(settings), settings.askTimeout());
    return new RaftClient<>(groupId, registry, connection, settings.askTimeout(), new AtomicBoolean());
  }

  /** The same client (same listing and leader hint) with another deadline per request. */
  public RaftClient<C, Q, R> withAskTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("ask timeout must be positive: " + timeout);
    if (connection.requests().sessions() != null) {
      try {
        connection.requests().sessions().checkRetryWindow(timeout, "withAskTimeout");
      } catch (com.typesafe.config.ConfigException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    return new RaftClient<>(groupId, registry, connection, timeout, closed);
  }

  public String groupId() {
    return groupId;
  }

  /** The member this client currently believes leads, or null. */
  public String leaderHint() {
    return connection.leaderHint();
  }

  /**
   * How this client finds the leader's server (the shared connection's listing and leader hint), for other
   * requests than commands and reads, such as the membership module's; asks with {@code hops() == 1}.
   */
  @InternalApi
  public RequestLoop.Route route() {
    return connection;
  }

  /** Replicate {@code command}; completes with the state machine's result once committed and applied. */
  public CompletionStage<R> submit(C command) {
    return connection.requests().command(command, connection, askTimeout);
  }

  /** A linearizable read: sees every command acknowledged before it started. */
  public CompletionStage<R> read(Q query) {
    return read(query, ReadConsistency.LINEARIZABLE);
  }

  public CompletionStage<R> read(Q query, ReadConsistency consistency) {
    return connection.requests().query(query, consistency, connection.forReads(consistency), askTimeout);
  }

  /** A read with options: a bounded STALE read ({@link ReadOptions}) fails with {@link RaftException.TooStale}. */
  public CompletionStage<R> read(Q query, ReadOptions options) {
    return connection.requests().query(query, options, connection.forReads(options.consistency()), askTimeout);
  }

  /**
   * Done with this client (and those made from it by {@link #withAskTimeout}). When it was the last
   * client of its group on this system, the shared connection stops: requests still waiting fail at
   * their deadline.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) registry.release(connection);
  }
}
