package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Client requests a server holds back while it hands its leadership over (thesis §3.10), instead of
 * answering NotLeader without a leader to name. From the moment it orders no new commands until it hears
 * from the new leader no server can take a command, and a client answered "no leader known" can only
 * guess when to try again. Held until the new leader is known, a request is then handled as if it had
 * just arrived: the server, now a follower, names the new leader (or forwards to it), and the client
 * goes there at once. Holding changes no Raft rule: a held request was neither appended nor answered.
 *
 * <p>Holding starts with the hand-over and ends, releasing every held request into the server's mailbox,
 * at the first of: a leader is heard from (or this server leads again), the hand-over ends with this
 * server still leading, or the hold's bound passes ({@code heartbeat-interval}: a hand-over normally
 * ends within a round trip or two, and a client's deadline must not run out while it waits here). A
 * server that stops answers its held requests NotLeader: not applied, safe to retry elsewhere.
 */
final class HeldRequests {

  /** The bound of the hold passed. */
  enum Expired implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  static final String TIMER = "held-requests";

  private final ActorRef<ServerCommand> server;
  private final TimerScheduler<ServerCommand> timers;
  private final int capacity;
  private final List<ClientRequest> held = new ArrayList<>();
  private boolean holding;

  /** @param capacity at most this many requests are held; the next ones are answered at once */
  HeldRequests(ActorRef<ServerCommand> server, TimerScheduler<ServerCommand> timers, int capacity) {
    this.server = server;
    this.timers = timers;
    this.capacity = capacity;
  }

  /** A hand-over starts: hold requests that no server could take, for at most {@code bound}. */
  void begin(Duration bound) {
    holding = true;
    timers.startSingleTimer(TIMER, Expired.INSTANCE, bound);
  }

  /** Hold {@code request} if a hand-over is under way and there is room; false if the caller must answer it. */
  boolean hold(ClientRequest request) {
    if (!holding || held.size() >= capacity) return false;
    held.add(request);
    return true;
  }

  boolean holding() {
    return holding;
  }

  /**
   * Stop holding, and hand every held request back to the server, behind the messages already in its
   * mailbox: it then handles them in its new role.
   */
  void release() {
    if (!holding) return;
    holding = false;
    timers.cancel(TIMER);
    for (ClientRequest request : held) server.tell(request);
    held.clear();
  }

  /** The server stops: answer what it held, since it will not handle it. */
  void answerAllNotLeader() {
    holding = false;
    for (ClientRequest request : held) request.reply(new ClientReply.NotLeader(null));
    held.clear();
  }
}
