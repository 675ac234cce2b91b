package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Client requests a server holds back during a hand-over of leadership (thesis §3.10), instead of
 * answering NotLeader without a leader to name. From the moment the leader orders no new commands until
 * the new leader is known no server can take a command, and a client answered "no leader known" can only
 * guess when to try again. Two servers hold:
 *
 * <ul>
 *   <li>the departing leader, from the start of the transfer. Once it has voted for the target in the
 *       election the transfer ordered (its vote and the target's own make a majority of three, and the
 *       target holds the whole log), it sends what it holds, and what comes later, there: a client outside
 *       the group is answered NotLeader naming the target, a member's own request is forwarded to it;
 *   <li>the target, from the TimeoutNow that made it a candidate. When it wins, the new leader takes what
 *       it holds at once, so those commands join its no-op in the same write and the same AppendEntries.
 * </ul>
 *
 * Holding ends, and every held request is handed back to the server as if it had just arrived, at the
 * first of: a leader is heard from, the hand-over ends with the departing leader still leading, or the
 * hold's bound passes ({@code heartbeat-interval}, at most the transfer timeout: a hand-over normally ends
 * within a round trip or two, and a stalled one must not hold a client until its deadline). A client whose
 * deadline is shorter than the bound can still run out while held when the hand-over stalls, and sees a
 * Timeout (outcome unknown) where it would have seen NotLeader. A server that stops answers what it holds
 * NotLeader. No Raft rule changes: a held request was neither appended nor
 * answered, and only a leader ever appends it.
 */
final class HeldRequests {

  /** The bound of the hold passed. */
  enum Expired implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  static final String TIMER = "held-requests";

  private final ActorRef<ServerCommand> server;
  private final TimerScheduler<ServerCommand> timers;
  private final Transport transport;
  private final int capacity;
  private final Duration bound;
  private final List<ClientRequest> held = new ArrayList<>();
  private boolean holding;
  /** The candidate of the hand-over's election, which this server voted for; null until then. */
  private String candidate;

  /**
   * @param capacity at most this many requests are held; the next ones are answered at once
   * @param bound how long one hold lasts at most
   */
  HeldRequests(ActorRef<ServerCommand> server, TimerScheduler<ServerCommand> timers, Transport transport, int capacity,
      Duration bound) {
    this.server = server;
    this.timers = timers;
    this.transport = transport;
    this.capacity = capacity;
    this.bound = bound;
  }

  /** A hand-over starts (on the leader) or its election does (on the target): hold, for at most the bound. */
  void begin() {
    holding = true;
    candidate = null;
    timers.startSingleTimer(TIMER, Expired.INSTANCE, bound);
  }

  /**
   * Take {@code request} that no leader can serve right now: hold it, or send it to the candidate this
   * server voted for. False when no hand-over is under way (or no room is left): the caller answers it.
   */
  boolean hold(ClientRequest request) {
    if (!holding) return false;
    if (candidate != null) {
      sendToCandidate(request);
      return true;
    }
    if (held.size() >= capacity) return false;
    held.add(request);
    return true;
  }

  /**
   * This server, which was handing its leadership over, voted for {@code candidate} in the election the
   * hand-over ordered: send it what is held, and what comes until a leader is heard from.
   */
  void votedFor(String candidate) {
    if (!holding) return;
    this.candidate = candidate;
    for (ClientRequest request : held) sendToCandidate(request);
    held.clear();
  }

  private void sendToCandidate(ClientRequest request) {
    boolean forwarded = request.hops() == 0 && transport.send(candidate, request.forwarded());
    if (!forwarded) request.reply(new ClientReply.NotLeader(candidate));
  }

  /**
   * Stop holding, and hand every held request back to the server, behind the messages already in its
   * mailbox: it then handles them in its role of that moment.
   */
  void release() {
    for (ClientRequest request : takeAll()) server.tell(request);
  }

  /** Stop holding and return what was held, for a new leader to serve at once. */
  List<ClientRequest> takeAll() {
    if (!holding) return List.of();
    holding = false;
    candidate = null;
    timers.cancel(TIMER);
    List<ClientRequest> taken = List.copyOf(held);
    held.clear();
    return taken;
  }

  /** The server stops: answer what it held, since it will not handle it. */
  void answerAllNotLeader() {
    holding = false;
    for (ClientRequest request : held) request.reply(new ClientReply.NotLeader(null));
    held.clear();
  }
}
