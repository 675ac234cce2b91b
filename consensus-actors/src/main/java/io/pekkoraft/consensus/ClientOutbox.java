package io.pekkoraft.consensus;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Sends the requests of all clients of one ActorSystem to a group, several at a time, as one
 * {@link ClientBatch} per server: a message across the network costs about the same whether it holds one
 * request or fifty.
 *
 * <p>When to send is clocked by the answers, like Nagle's algorithm: while at most
 * {@link #EAGER_IN_FLIGHT} requests await an answer, a request leaves at once, from the caller's thread
 * (a lone client never waits, and pays no extra hop); beyond that, new requests gather in an actor until
 * the next answer arrives, which on a busy leader is the next commit, and then leave together. A batch
 * also leaves early once it reaches {@link #BATCH_BYTES_MAX} or {@link #BATCH_REQUESTS_MAX}. Progress
 * is certain: requests gather only while others are in flight, and each of those ends with an answer or
 * its deadline, either of which calls {@link #answered}. Requests of one thread leave in the order it
 * sent them: one goes straight out only when none is gathered.
 */
final class ClientOutbox {

  /** A request leaves at once while at most this many (itself included) await an answer. */
  static final int EAGER_IN_FLIGHT = 4;

  /** A batch leaves early once its payloads reach this many bytes (a single larger request goes alone). */
  static final int BATCH_BYTES_MAX = 64 * 1024;

  /** ... or this many requests. */
  static final int BATCH_REQUESTS_MAX = 512;

  /** Local only: never crosses the network. */
  private sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Send(ActorRef<ServerCommand> server, ClientRequest request) implements Command {}

  private enum Answered implements Command {
    INSTANCE
  }

  private enum Flush implements Command {
    INSTANCE
  }

  /** Requests sent or gathered, not yet answered nor past their deadline. */
  private final AtomicInteger unanswered = new AtomicInteger();

  /** Requests handed to the actor and not yet sent by it. */
  private final AtomicInteger gathered = new AtomicInteger();

  private final ActorSystem<?> system;
  private final ActorRef<Command> actor;

  ClientOutbox(ActorSystem<?> system, String name) {
    this.system = system;
    this.actor = system.systemActorOf(behavior(), name, Props.empty());
  }

  /** Send {@code request} to {@code server}; its answer or deadline must be reported to {@link #answered}. */
  void send(ActorRef<ServerCommand> server, ClientRequest request) {
    if (unanswered.incrementAndGet() <= EAGER_IN_FLIGHT && gathered.get() == 0) {
      server.tell(request);
    } else {
      gathered.incrementAndGet();
      actor.tell(new Send(server, request));
    }
  }

  /** {@code requests} were answered or reached their deadline. */
  void answered(int requests) {
    unanswered.addAndGet(-requests);
    if (gathered.get() > 0) actor.tell(Answered.INSTANCE);
  }

  void stop() {
    system.classicSystem().stop(Adapter.toClassic(actor));
  }

  private static final class Pending {
    final List<ClientRequest> requests = new ArrayList<>();
    long bytes;
  }

  private Behavior<Command> behavior() {
    return Behaviors.setup(ctx -> {
      Map<ActorRef<ServerCommand>, Pending> pending = new LinkedHashMap<>();
      boolean[] flushQueued = {false};
      Runnable flush = () -> {
        pending.forEach((server, p) -> deliver(server, p.requests));
        pending.clear();
      };
      return Behaviors.receive(Command.class)
          .onMessage(Send.class, send -> {
            Pending p = pending.computeIfAbsent(send.server(), s -> new Pending());
            p.requests.add(send.request());
            p.bytes += payloadBytes(send.request());
            if (p.bytes >= BATCH_BYTES_MAX || p.requests.size() >= BATCH_REQUESTS_MAX) {
              pending.remove(send.server());
              deliver(send.server(), p.requests);
            } else if (!flushQueued[0] && unanswered.get() - gathered.get() < EAGER_IN_FLIGHT) {
              // Few in flight: leave behind the requests already in the mailbox, which join this batch.
              flushQueued[0] = true;
              ctx.getSelf().tell(Flush.INSTANCE);
            }
            return Behaviors.same();
          })
          .onMessageEquals(Flush.INSTANCE, () -> {
            flushQueued[0] = false;
            flush.run();
            return Behaviors.same();
          })
          .onMessageEquals(Answered.INSTANCE, () -> {
            flush.run();
            return Behaviors.same();
          })
          .build();
    });
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
