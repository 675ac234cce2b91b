package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.annotation.InternalApi;

/**
 * The answers to the requests of one system's clients of a group, all taken by one long-lived actor: each
 * request carries a tag, and the server wraps its answer with it ({@link ClientEnvelope.Tagged}, or several
 * in a {@link ClientEnvelope.TaggedBatch}). Pekko's ask would make a temporary actor per request instead,
 * whose one-off address the server's node must resolve for every answer it sends across the network.
 * Requests leave through a {@link ClientOutbox}, which sends those of concurrent clients together.
 *
 * <p>Answers complete on that actor, on the system's dispatcher; a caller's non-async callbacks run
 * there too, so they must not block.
 */
@InternalApi
final class TaggedReplies implements RequestLoop.Asker {

  private final ActorSystem<?> system;
  private final LongSupplier nanoTime;
  private final AtomicLong lastTag = new AtomicLong();
  private final Map<Long, Waiting> waiting = new ConcurrentHashMap<>();
  private final Cancellable sweeper;

  /**
   * A request awaiting its answer until {@code deadline} (in {@link #nanoTime}'s terms). Its claim (see
   * {@link ClientOutbox.Claim}) is taken by the outbox when it sends the request, or by whoever fails the
   * caller first, and then the request is never sent.
   */
  private static final class Waiting extends ClientOutbox.Claim {
    final CompletableFuture<ClientReply> answer = new CompletableFuture<>();
    final ActorRef<ServerCommand> server;
    final long deadline;
    final Duration timeout;

    Waiting(ActorRef<ServerCommand> server, long deadline, Duration timeout) {
      this.server = server;
      this.deadline = deadline;
      this.timeout = timeout;
    }
  }

  /**
   * How often requests past their deadline are failed. One sweep for all requests instead of a timer per
   * request: at tens of thousands of requests a second, scheduling and cancelling a timer each was a
   * tenth of the client's CPU. Deadlines are kept to within this, the tick of Pekko's scheduler.
   */
  static final Duration SWEEP_INTERVAL = Duration.ofMillis(10);

  private final ActorRef<ClientEnvelope> inbox;
  private final ClientOutbox outbox;

  /** Deadlines on System.nanoTime, swept every {@link #SWEEP_INTERVAL} on the system's scheduler. */
  TaggedReplies(ActorSystem<?> system, String name) {
    this(system, name, System::nanoTime, true);
  }

  /** Deadlines on {@code nanoTime}, swept only when {@link #sweep} is called: time moves as a test says. */
  TaggedReplies(ActorSystem<?> system, String name, LongSupplier nanoTime) {
    this(system, name, nanoTime, false);
  }

  private TaggedReplies(ActorSystem<?> system, String name, LongSupplier nanoTime, boolean scheduledSweep) {
    this.system = system;
    this.nanoTime = nanoTime;
    this.outbox = new ClientOutbox();
    this.inbox = system.systemActorOf(Behaviors.receive(ClientEnvelope.class)
        .onMessage(ClientEnvelope.Tagged.class, tagged -> {
          answer(tagged);
          return Behaviors.same();
        })
        .onMessage(ClientEnvelope.TaggedBatch.class, batch -> {
          answer(batch);
          return Behaviors.same();
        })
        .build(), name + "-replies", Props.empty());
    this.sweeper = scheduledSweep
        ? system.scheduler().scheduleWithFixedDelay(SWEEP_INTERVAL, SWEEP_INTERVAL, this::sweep,
            system.executionContext())
        : null;
  }

  /** What the answer actor does with one answer (package-private so that a test can hand it one itself). */
  void answer(ClientEnvelope.Tagged tagged) {
    Waiting w = complete(tagged);
    if (w != null) outbox.answered(w.server, 1);
  }

  /** What the answer actor does with a batch of answers. */
  void answer(ClientEnvelope.TaggedBatch batch) {
    // The answers of one batch come from one server, as a rule: counted together, per server.
    ActorRef<ServerCommand> server = null;
    int answered = 0;
    for (ClientEnvelope.Tagged tagged : batch.replies()) {
      Waiting w = complete(tagged);
      if (w == null) continue;
      if (server != null && !server.equals(w.server)) {
        outbox.answered(server, answered);
        answered = 0;
      }
      server = w.server;
      answered++;
    }
    if (answered > 0) outbox.answered(server, answered);
  }

  /** The request answered, or null when the answer came after its request's deadline. */
  private Waiting complete(ClientEnvelope.Tagged tagged) {
    Waiting w = waiting.remove(tagged.tag());
    if (w == null) return null; // it came after its deadline
    w.answer.complete(tagged.reply());
    return w;
  }

  /** Fail the requests whose deadline has passed: their outcome is unknown. */
  void sweep() {
    long now = nanoTime.getAsLong();
    for (Map.Entry<Long, Waiting> e : waiting.entrySet()) {
      Waiting w = e.getValue();
      if (now - w.deadline >= 0 && waiting.remove(e.getKey(), w)) {
        // The claim first: answered() sends what gathered, and this request must not be among it.
        w.take();
        outbox.answered(w.server, 1);
        w.answer.completeExceptionally(new TimeoutException("no answer within " + w.timeout));
      }
    }
  }

  @Override
  public boolean completesOnDispatcher() {
    return true;
  }

  @Override
  public CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
      byte[] payload, int hops, Duration timeout) {
    long tag = lastTag.incrementAndGet();
    Waiting w = new Waiting(server, nanoTime.getAsLong() + timeout.toNanos(), timeout);
    waiting.put(tag, w);
    outbox.send(server, maker.make(payload, hops, tag, inbox.narrow()), w);
    return w.answer;
  }

  /** Stop taking answers and sending requests; requests still waiting fail now (outcome unknown). */
  void stop() {
    if (sweeper != null) sweeper.cancel();
    system.classicSystem().stop(Adapter.toClassic(inbox));
    for (Long tag : waiting.keySet()) {
      Waiting w = waiting.remove(tag);
      if (w == null) continue;
      w.take(); // if still gathered, never sent now
      w.answer.completeExceptionally(new TimeoutException("the client was closed before the answer came"));
    }
  }
}
