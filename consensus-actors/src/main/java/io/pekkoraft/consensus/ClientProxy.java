package io.pekkoraft.consensus;

import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.ServerStatus;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Requests a member makes on behalf of clients outside the cluster that hold their own client session (the
 * gRPC gateway's clients): the session is opened through the log by {@link #openSession}, and each command
 * carries the client's (session id, sequence, acknowledged sequence) unchanged, so a retry through any member
 * is answered with the first result. Each call has its own timeout (the remote client's deadline). Requests go
 * to the local server, which forwards them to the leader, through the same request loop as {@link RaftGroup}'s
 * own: NotLeader is followed until the deadline, and an outcome-unknown answer is retried with the same
 * sequence in a session, never without one. Get one with {@link RaftGroup#clientProxy()}.
 */
public final class ClientProxy<C, Q, R> {

  /** A command committed and applied at {@code index}, with the state machine's {@code result}. */
  public record Applied<R>(R result, long index) {}

  private final RaftGroup<C, Q, R> group;
  private final RequestLoop requests;
  private final RequestLoop.Route localServer;
  private final ActorSystem<?> system;

  ClientProxy(RaftGroup<C, Q, R> group, RequestLoop requests, RequestLoop.Route localServer, ActorSystem<?> system) {
    this.group = group;
    this.requests = requests;
    this.localServer = localServer;
    this.system = system;
  }

  /** Opens a session through the log; completes with its id (the index of its entry). */
  public CompletionStage<Long> openSession(Duration timeout) {
    return orStopped(() -> requests.openSession(localServer, timeout));
  }

  /** Keeps {@code sessionId} alive; fails with {@link RaftException.SessionExpired} when it is not open. */
  public CompletionStage<Long> keepAlive(long sessionId, Duration timeout) {
    return orStopped(() -> requests.keepAlive(sessionId, localServer, timeout));
  }

  /**
   * Replicates {@code command} in the client's session ({@code sessionId} 0: none, and a command whose outcome
   * became unknown is not sent again: it fails with {@link RaftException.Timeout} or {@link RaftException.NoQuorum}).
   * Fails like {@link RaftGroup#submit}, and with {@link RaftException.SessionExpired} when the session is not
   * open (its message says whether an earlier send may have been applied).
   */
  @SuppressWarnings("unchecked")
  public CompletionStage<Applied<R>> submit(C command, long sessionId, long sequence, long ackedSequence,
      Duration timeout) {
    return orStopped(() -> requests.commandInSession(command, sessionId, sequence, ackedSequence, localServer, timeout)
        .thenApply(a -> new Applied<>((R) a.result(), a.index())));
  }

  /** A read, like {@link RaftGroup#read(Object, ReadOptions)}, bounded by {@code timeout}. */
  public CompletionStage<R> read(Q query, ReadOptions options, Duration timeout) {
    return orStopped(() -> requests.query(query, options, localServer, timeout));
  }

  /** This member's own view: role, term, the leader it knows, commit index and applied index. */
  public CompletionStage<ServerStatus> localStatus(Duration timeout) {
    ActorRef<ServerCommand> server = group.server();
    return orStopped(() -> AskPattern.<ServerCommand, ServerStatus>ask(
        server, ServerStatus.Get::new, timeout, system.scheduler()));
  }

  private <T> CompletionStage<T> orStopped(Supplier<CompletionStage<T>> request) {
    CompletionStage<T> stopped = group.failIfStopped();
    return stopped != null ? stopped : request.get();
  }
}
