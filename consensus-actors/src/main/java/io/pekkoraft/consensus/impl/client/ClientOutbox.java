package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * Sends the requests of all clients of one ActorSystem to a group, several at a time, as one
 * {@link ClientBatch} per server: a message across the network costs about the same whether it holds one
 * request or fifty.
 *
 * <p>When to send is clocked by the answers, like Nagle's algorithm, for each server on its own: while at most
 * {@link #EAGER_IN_FLIGHT} requests to a server await its answer, a request to it leaves at once, from the caller's thread
 * (a lone client never waits); beyond that, new requests gather in a queue until the next answer
 * arrives, which on a busy leader is the next commit, and the thread that takes that answer sends them
 * together. A batch is cut at {@link #BATCH_BYTES_MAX} or {@link #BATCH_REQUESTS_MAX}. No actor and no
 * thread hand-over is involved: gathering costs a queue insert, and sending happens on a thread that is
 * running anyway.
 *
 * <p>Progress is certain: a request gathers only while more than {@link #EAGER_IN_FLIGHT} others to the same
 * server are in flight, each of which ends with an answer or its deadline, and either calls {@link #answered}, which
 * sends what gathered; a request that finds too few in flight after gathering sends the queue itself.
 * Requests of one thread leave in the order it sent them: one goes straight out only when none is gathered.
 *
 * <p>A request whose caller was already failed (its deadline passed while it was gathered) is dropped, never
 * sent: each request comes with a {@link Claim}, taken once, either here just before it is sent or by
 * whoever fails its caller, whichever comes first. One compare-and-set per request, no lock.
 */
@InternalApi
final class ClientOutbox {

  /** A request leaves at once while at most this many (itself included) await an answer. */
  static final int EAGER_IN_FLIGHT = 4;

  /** A batch is cut once its payloads reach this many bytes (a single larger request goes alone). */
  static final int BATCH_BYTES_MAX = 64 * 1024;

  /** ... or this many requests. */
  static final int BATCH_REQUESTS_MAX = 512;

  /**
   * The right to decide a request's fate, taken once: by the outbox, which then sends the request, or by
   * whoever fails the request's caller (its deadline sweep), and then the request is never sent. A caller
   * failed after the outbox took the claim was told the truth: the request left, its outcome is unknown.
   */
  static class Claim {
    private static final VarHandle TAKEN;

    static {
      try {
        TAKEN = MethodHandles.lookup().findVarHandle(Claim.class, "taken", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // through TAKEN
    private volatile boolean taken;

    /** True for the first caller only. */
    final boolean take() {
      return TAKEN.compareAndSet(this, false, true);
    }
  }

  private record Gathered(ClientRequest request, Claim claim) {}

  /**
   * The clock of one server: its requests sent or gathered, not yet answered nor past their deadline, and
   * those gathered. A server that does not answer (its node was killed) holds back only the requests that
   * go to it: with one clock for all servers, four requests waiting for a dead leader until their deadline
   * kept the requests to its successor gathered for as long.
   */
  private static final class Lane {
    /** Requests sent or gathered, not yet answered nor past their deadline. */
    final AtomicInteger unanswered = new AtomicInteger();
    /** Requests gathered and not yet sent: counted before they enter the queue, uncounted once sent or dropped. */
    final AtomicInteger gathered = new AtomicInteger();
    final ConcurrentLinkedQueue<Gathered> queue = new ConcurrentLinkedQueue<>();
    final AtomicBoolean sending = new AtomicBoolean();
  }

  /** One lane per server asked (a handful: the members, and a new one per restart of a member's node). */
  private final ConcurrentHashMap<ActorRef<ServerCommand>, Lane> lanes = new ConcurrentHashMap<>();

  private Lane lane(ActorRef<ServerCommand> server) {
    Lane lane = lanes.get(server);
    return lane != null ? lane : lanes.computeIfAbsent(server, s -> new Lane());
  }

  /**
   * Send {@code request} to {@code server} unless {@code claim} is taken first by whoever fails its caller;
   * its answer or deadline must be reported to {@link #answered}.
   */
  void send(ActorRef<ServerCommand> server, ClientRequest request, Claim claim) {
    Lane lane = lane(server);
    if (lane.unanswered.incrementAndGet() <= EAGER_IN_FLIGHT && lane.gathered.get() == 0) {
      if (claim.take()) server.tell(request);
      return;
    }
    lane.gathered.incrementAndGet();
    lane.queue.add(new Gathered(request, claim));
    // Those in flight may all have been answered meanwhile: then no answer would come to send this one.
    if (lane.unanswered.get() - lane.gathered.get() < EAGER_IN_FLIGHT) sendGathered(server, lane);
  }

  /** {@code requests} sent to {@code server} were answered or reached their deadline: what gathered for it leaves now. */
  void answered(ActorRef<ServerCommand> server, int requests) {
    Lane lane = lane(server); // the deadline sweep may count a request before it reached send()
    lane.unanswered.addAndGet(-requests);
    if (lane.gathered.get() > 0) sendGathered(server, lane);
  }

  /**
   * Send everything gathered for {@code server}, in batches cut at the bounds. One thread at a time; a thread
   * that finds another sending leaves it to that one, which looks at the queue again when done.
   */
  private void sendGathered(ActorRef<ServerCommand> server, Lane lane) {
    while (!lane.queue.isEmpty() && lane.sending.compareAndSet(false, true)) {
      try {
        Pending p = new Pending();
        int dropped = 0;
        Gathered g;
        while ((g = lane.queue.poll()) != null) {
          if (!g.claim().take()) { // its caller was failed already: it must not be applied
            dropped++;
            continue;
          }
          p.requests.add(g.request());
          p.bytes += payloadBytes(g.request());
          if (p.bytes >= BATCH_BYTES_MAX || p.requests.size() >= BATCH_REQUESTS_MAX) {
            deliver(server, lane, p.requests);
            p = new Pending();
          }
        }
        if (!p.requests.isEmpty()) deliver(server, lane, p.requests);
        lane.gathered.addAndGet(-dropped);
      } finally {
        lane.sending.set(false);
      }
    }
  }

  private static final class Pending {
    final List<ClientRequest> requests = new ArrayList<>();
    long bytes;
  }

  private static long payloadBytes(ClientRequest request) {
    return request instanceof ClientRequest.ClientCommand c ? c.command().length
        : ((ClientRequest.ClientQuery) request).query().length;
  }

  private static void deliver(ActorRef<ServerCommand> server, Lane lane, List<ClientRequest> requests) {
    server.tell(requests.size() == 1 ? requests.get(0) : new ClientBatch(requests));
    lane.gathered.addAndGet(-requests.size());
  }
}
