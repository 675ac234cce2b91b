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
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The answers to one {@link RaftClient}'s requests, all taken by one long-lived actor: each request
 * carries a tag, and the server wraps its answer with it ({@link ClientReply.Tagged}). Pekko's ask would
 * make a temporary actor per request instead, whose one-off address the server's node must resolve for
 * every answer it sends across the network.
 */
final class TaggedReplies implements RequestLoop.Asker {

  private final ActorSystem<?> system;
  private final AtomicLong lastTag = new AtomicLong();
  private final Map<Long, CompletableFuture<ClientReply>> waiting = new ConcurrentHashMap<>();
  private final ActorRef<ClientReply> inbox;

  TaggedReplies(ActorSystem<?> system, String name) {
    this.system = system;
    this.inbox = system.systemActorOf(Behaviors.receive(ClientReply.class)
        .onMessage(ClientReply.Tagged.class, tagged -> {
          CompletableFuture<ClientReply> answer = waiting.remove(tagged.tag());
          if (answer != null) answer.complete(tagged.reply()); // else: it came after its deadline
          return Behaviors.same();
        })
        .build(), name, Props.empty());
  }

  @Override
  public CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
      byte[] payload, int hops, Duration timeout) {
    long tag = lastTag.incrementAndGet();
    CompletableFuture<ClientReply> answer = new CompletableFuture<>();
    waiting.put(tag, answer);
    Cancellable deadline = system.scheduler().scheduleOnce(timeout, () -> {
      if (waiting.remove(tag) != null) answer.completeExceptionally(new TimeoutException("no answer within " + timeout));
    }, system.executionContext());
    answer.whenComplete((reply, failure) -> deadline.cancel());
    server.tell(maker.make(payload, hops, inbox, tag));
    return answer;
  }

  ActorRef<ClientReply> inbox() {
    return inbox;
  }
}
