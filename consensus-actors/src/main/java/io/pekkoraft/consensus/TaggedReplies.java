package io.pekkoraft.consensus;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The answers to the requests of one system's clients of a group, all taken by one long-lived actor: each
 * request carries a tag, and the server wraps its answer with it ({@link ClientReply.Tagged}, or several
 * in a {@link ClientReply.TaggedBatch}). Pekko's ask would make a temporary actor per request instead,
 * whose one-off address the server's node must resolve for every answer it sends across the network.
 * Requests leave through a {@link ClientOutbox}, which sends those of concurrent clients together.
 *
 * <p>Answers complete on that actor, on the system's dispatcher; a caller's non-async callbacks run
 * there too, so they must not block.
 */
final class TaggedReplies implements RequestLoop.Asker {

  private final ActorSystem<?> system;
  private final AtomicLong lastTag = new AtomicLong();
  private final Map<Long, Waiting> waiting = new ConcurrentHashMap<>();
  private final Cancellable sweeper;

  /** A request awaiting its answer until {@code deadline} (System.nanoTime). */
  private record Waiting(CompletableFuture<ClientReply> answer, long deadline, Duration timeout) {}

  /**
   * How often requests past their deadline are failed. One sweep for all requests instead of a timer per
   * request: at tens of thousands of requests a second, scheduling and cancelling a timer each was a
   * tenth of the client's CPU. Deadlines are kept to within this, the tick of Pekko's scheduler.
   */
  static final Duration SWEEP_INTERVAL = Duration.ofMillis(10);

  private final ActorRef<ClientReply> inbox;
  private final ClientOutbox outbox;

  TaggedReplies(ActorSystem<?> system, String name) {
    this.system = system;
    this.outbox = new ClientOutbox();
    this.inbox = system.systemActorOf(Behaviors.receive(ClientReply.class)
        .onMessage(ClientReply.Tagged.class, tagged -> {
          if (answer(tagged)) outbox.answered(1);
          return Behaviors.same();
        })
        .onMessage(ClientReply.TaggedBatch.class, batch -> {
          int answered = 0;
          for (ClientReply.Tagged tagged : batch.replies()) answered += answer(tagged) ? 1 : 0;
          if (answered > 0) outbox.answered(answered);
          return Behaviors.same();
        })
        .build(), name + "-replies", Props.empty());
    this.sweeper = system.scheduler().scheduleWithFixedDelay(SWEEP_INTERVAL, SWEEP_INTERVAL, this::sweep,
        system.executionContext());
  }

  /** False when the answer came after its request's deadline. */
  private boolean answer(ClientReply.Tagged tagged) {
    Waiting w = waiting.remove(tagged.tag());
    if (w == null) return false; // it came after its deadline
    w.answer().complete(tagged.reply());
    return true;
  }

  /** Fail the requests whose deadline has passed: their outcome is unknown. */
  private void sweep() {
    long now = System.nanoTime();
    for (Map.Entry<Long, Waiting> e : waiting.entrySet()) {
      Waiting w = e.getValue();
      if (now - w.deadline() >= 0 && waiting.remove(e.getKey(), w)) {
        outbox.answered(1);
        w.answer().completeExceptionally(new TimeoutException("no answer within " + w.timeout()));
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
    CompletableFuture<ClientReply> answer = new CompletableFuture<>();
    waiting.put(tag, new Waiting(answer, System.nanoTime() + timeout.toNanos(), timeout));
    outbox.send(server, maker.make(payload, hops, inbox, tag));
    return answer;
  }

  /** Stop taking answers and sending requests; requests still waiting fail now (outcome unknown). */
  void stop() {
    sweeper.cancel();
    system.classicSystem().stop(Adapter.toClassic(inbox));
    for (Long tag : waiting.keySet()) {
      Waiting w = waiting.remove(tag);
      if (w != null) w.answer().completeExceptionally(new TimeoutException("the client was closed before the answer came"));
    }
  }
}
