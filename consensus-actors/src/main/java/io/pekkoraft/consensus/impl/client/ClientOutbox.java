package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>When to send is clocked by the answers, like Nagle's algorithm: while at most
 * {@link #EAGER_IN_FLIGHT} requests await an answer, a request leaves at once, from the caller's thread
 * (a lone client never waits); beyond that, new requests gather in a queue until the next answer
 * arrives, which on a busy leader is the next commit, and the thread that takes that answer sends them
 * together. A batch is cut at {@link #BATCH_BYTES_MAX} or {@link #BATCH_REQUESTS_MAX}. No actor and no
 * thread hand-over is involved: gathering costs a queue insert, and sending happens on a thread that is
 * running anyway.
 *
 * <p>Progress is certain: a request gathers only while more than {@link #EAGER_IN_FLIGHT} others are in
 * flight, each of which ends with an answer or its deadline, and either calls {@link #answered}, which
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

  private record Gathered(ActorRef<ServerCommand> server, ClientRequest request, Claim claim) {}

  /** Requests sent or gathered, not yet answered nor past their deadline. */
  private final AtomicInteger unanswered = new AtomicInteger();

  /** Requests gathered and not yet sent: counted before they enter the queue, uncounted once sent or dropped. */
  private final AtomicInteger gathered = new AtomicInteger();

  private final ConcurrentLinkedQueue<Gathered> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean sending = new AtomicBoolean();

  /**
   * Send {@code request} to {@code server} unless {@code claim} is taken first by whoever fails its caller;
   * its answer or deadline must be reported to {@link #answered}.
   */
  void send(ActorRef<ServerCommand> server, ClientRequest request, Claim claim) {
    if (unanswered.incrementAndGet() <= EAGER_IN_FLIGHT && gathered.get() == 0) {
      if (claim.take()) server.tell(request);
      return;
    }
    gathered.incrementAndGet();
    queue.add(new Gathered(server, request, claim));
    // Those in flight may all have been answered meanwhile: then no answer would come to send this one.
    if (unanswered.get() - gathered.get() < EAGER_IN_FLIGHT) sendGathered();
  }

  /** {@code requests} were answered or reached their deadline: what gathered leaves now. */
  void answered(int requests) {
    unanswered.addAndGet(-requests);
    if (gathered.get() > 0) sendGathered();
  }

  /**
   * Send everything gathered, one batch per server (cut at the bounds). One thread at a time; a thread
   * that finds another sending leaves it to that one, which looks at the queue again when done.
   */
  private void sendGathered() {
    while (!queue.isEmpty() && sending.compareAndSet(false, true)) {
      try {
        Map<ActorRef<ServerCommand>, Pending> pending = new LinkedHashMap<>();
        int dropped = 0;
        Gathered g;
        while ((g = queue.poll()) != null) {
          if (!g.claim().take()) { // its caller was failed already: it must not be applied
            dropped++;
            continue;
          }
          Pending p = pending.computeIfAbsent(g.server(), s -> new Pending());
          p.requests.add(g.request());
          p.bytes += payloadBytes(g.request());
          if (p.bytes >= BATCH_BYTES_MAX || p.requests.size() >= BATCH_REQUESTS_MAX) {
            pending.remove(g.server());
            deliver(g.server(), p.requests);
          }
        }
        pending.forEach((server, p) -> deliver(server, p.requests));
        gathered.addAndGet(-dropped);
      } finally {
        sending.set(false);
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

  private void deliver(ActorRef<ServerCommand> server, List<ClientRequest> requests) {
    server.tell(requests.size() == 1 ? requests.get(0) : new ClientBatch(requests));
    gathered.addAndGet(-requests.size());
  }
}
