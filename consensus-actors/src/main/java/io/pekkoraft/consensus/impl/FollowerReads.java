package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.ReadIndexRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.ReadIndexResponse;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * FOLLOWER reads on a server that does not lead (a follower or a learner): linearizable reads served from
 * this server's own state. The reads that wait when a {@link ReadIndexRequest} leaves share its answer;
 * reads arriving while one is out wait for the next, whose confirmation starts after they arrived (a read
 * index recorded before a read arrived could miss a write acknowledged before it). Each confirmed read goes
 * to the state machine runner with the leader's read index: the runner serves it only once it has applied
 * that far, never before.
 *
 * <p>Kept in {@link ServerState}: an answer stays valid whatever role this server took meanwhile. A request
 * without an answer within election-timeout-min is asked again, of the leader known then; with no leader
 * known, the reads are answered {@code NotLeader(null)} (not served, safe to retry). At most
 * {@code client.pending-max} reads wait.
 */
final class FollowerReads {

  static final String TIMER = "follower-read-index";

  /** The timer's message: the request out has had no answer in time. */
  enum Expired implements ServerCommand, org.apache.pekko.actor.NoSerializationVerificationNeeded {
    INSTANCE
  }

  private final String selfId;
  private final Transport transport;
  private final TimerScheduler<ServerCommand> timers;
  private final ActorRef<StateMachineRunner.Command> runner;
  private final Supplier<String> leaderId;
  private final LongSupplier currentTerm;
  private final int pendingMax;
  private final Duration answerTimeout;
  private List<ClientRequest.ClientQuery> inFlight = new ArrayList<>();
  private List<ClientRequest.ClientQuery> waiting = new ArrayList<>();
  /** The id of the request out, 0 when none. */
  private long inFlightId;
  private long lastId;

  FollowerReads(String selfId, Transport transport, TimerScheduler<ServerCommand> timers,
      ActorRef<StateMachineRunner.Command> runner, Supplier<String> leaderId, LongSupplier currentTerm, int pendingMax,
      Duration answerTimeout) {
    this.selfId = selfId;
    this.transport = transport;
    this.timers = timers;
    this.runner = runner;
    this.leaderId = leaderId;
    this.currentTerm = currentTerm;
    this.pendingMax = pendingMax;
    this.answerTimeout = answerTimeout;
  }

  /** A FOLLOWER read arrived at this server, which does not lead. */
  void read(ClientRequest.ClientQuery q) {
    if (inFlight.size() + waiting.size() >= pendingMax) {
      q.reply(new ClientReply.Rejected("overloaded: " + (inFlight.size() + waiting.size()) + " follower reads wait for"
          + " a read index (pekko-raft.client.pending-max); retry later"));
      return;
    }
    waiting.add(q);
    if (inFlightId == 0) ask();
  }

  /** The leader answered a read index request. */
  void answered(ReadIndexResponse r) {
    if (r.id() != inFlightId) return; // an answer to a request given up on
    timers.cancel(TIMER);
    List<ClientRequest.ClientQuery> reads = inFlight;
    inFlight = new ArrayList<>();
    inFlightId = 0;
    if (r.confirmed()) {
      // Linearizable once this server applied up to the read index: the runner waits for that.
      for (ClientRequest.ClientQuery q : reads) runner.tell(new StateMachineRunner.Read(r.readIndex(), q));
    } else {
      for (ClientRequest.ClientQuery q : reads) q.reply(new ClientReply.NotLeader(null));
    }
    if (!waiting.isEmpty()) ask();
  }

  /** No answer in time: ask again, the reads out and those waiting together. */
  void expired() {
    if (inFlightId == 0) return;
    waiting.addAll(0, inFlight);
    inFlight = new ArrayList<>();
    inFlightId = 0;
    ask();
  }

  /** This server stops: the reads were not served. */
  void answerAllNotLeader() {
    for (ClientRequest.ClientQuery q : inFlight) q.reply(new ClientReply.NotLeader(null));
    for (ClientRequest.ClientQuery q : waiting) q.reply(new ClientReply.NotLeader(null));
    inFlight.clear();
    waiting.clear();
  }

  private void ask() {
    String leader = leaderId.get();
    long id = ++lastId;
    if (leader == null || leader.equals(selfId)
        || !transport.send(leader, new ReadIndexRequest(currentTerm.getAsLong(), selfId, id))) {
      for (ClientRequest.ClientQuery q : waiting) q.reply(new ClientReply.NotLeader(null));
      waiting.clear();
      return;
    }
    inFlight = waiting;
    waiting = new ArrayList<>();
    inFlightId = id;
    timers.startSingleTimer(TIMER, Expired.INSTANCE, answerTimeout);
  }
}
