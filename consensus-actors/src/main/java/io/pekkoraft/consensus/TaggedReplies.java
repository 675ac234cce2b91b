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
  private final Map<Long, CompletableFuture<ClientReply>> waiting = new ConcurrentHashMap<>();
  private final ActorRef<ClientReply> inbox;
  private final ClientOutbox outbox;

  TaggedReplies(ActorSystem<?> system, String name) {
    this.system = system;
    this.outbox = new ClientOutbox(system, name + "-outbox");
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
  }

  /** False when the answer came after its request's deadline. */
  private boolean answer(ClientReply.Tagged tagged) {
    CompletableFuture<ClientReply> answer = waiting.remove(tagged.tag());
    if (answer == null) return false;
    answer.complete(tagged.reply());
    return true;
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
    waiting.put(tag, answer);
    Cancellable deadline = system.scheduler().scheduleOnce(timeout, () -> {
      if (waiting.remove(tag) != null) {
        outbox.answered(1);
        answer.completeExceptionally(new TimeoutException("no answer within " + timeout));
      }
    }, system.executionContext());
    answer.whenComplete((reply, failure) -> deadline.cancel());
    outbox.send(server, maker.make(payload, hops, inbox, tag));
    return answer;
  }

  /** Stop taking answers and sending requests; requests still waiting fail at their deadline. */
  void stop() {
    outbox.stop();
    system.classicSystem().stop(Adapter.toClassic(inbox));
  }
}
