package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.impl.SessionSettings;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.testing.Routes;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.testkit.ExplicitlyTriggeredScheduler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A request to a server actor that is gone (stopped, its stop future never completed) is not re-sent in a
 * hot loop: Pekko fails an ask to a terminated actor at once, and the loop waits its usual back-off before
 * the next attempt, on simulated time, until the deadline, where the caller gets a typed failure.
 */
class RequestLoopStoppedServerTest {

  private static final ActorTestKit kit = ActorTestKit.create(
      ManualTime.config().withFallback(ConfigFactory.load()));
  private static final ManualTime time = ManualTime.get(kit.system());

  private static final Duration DEADLINE = Duration.ofMillis(500);
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(100);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /**
   * Pekko's ask on the (terminated) server, counted with the simulated time of each attempt (the manual
   * scheduler's: a wait of 1 ms or more puts the next attempt at a later one). A second attempt at the same
   * simulated time is the spin: it is recorded and left unanswered, so a spinning loop stops.
   */
  private static final class CountingAsker implements RequestLoop.Asker {
    final LongSupplier clock;
    final List<Long> attemptsAtMs = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> spun = new CompletableFuture<>();

    CountingAsker(LongSupplier clock) {
      this.clock = clock;
    }

    @Override
    public CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
        byte[] payload, int hops, Duration timeout) {
      long nowMs = TimeUnit.NANOSECONDS.toMillis(clock.getAsLong());
      int n = attemptsAtMs.size();
      if (n >= 1 && attemptsAtMs.get(n - 1) == nowMs) {
        attemptsAtMs.add(nowMs);
        spun.complete("attempt " + attemptsAtMs.size() + " at " + nowMs + " ms, the same simulated time as the one"
            + " before: re-sent without waiting");
        return new CompletableFuture<>();
      }
      attemptsAtMs.add(nowMs);
      return AskPattern.<ServerCommand, ClientReply>ask(server, replyTo -> maker.make(payload, hops, 0, replyTo),
          timeout, kit.system().scheduler());
    }
  }

  @Test
  void aReadToAStoppedServerBacksOffAndFailsWithTimeoutByItsDeadline() throws Exception {
    RaftException failure = requestToStoppedServer(false,
        (loop, server) -> loop.query("q", ReadConsistency.LINEARIZABLE, Routes.toOne(server), DEADLINE));
    assertInstanceOf(RaftException.Timeout.class, failure, "a read with no answer: outcome unknown, " + failure);
  }

  @Test
  void aSessionCommandToAStoppedServerBacksOffAndFailsByItsDeadline() throws Exception {
    // The session's opening is what meets the dead server first; the command itself was never sent.
    RaftException failure = requestToStoppedServer(true,
        (loop, server) -> loop.command("x", Routes.toOne(server), DEADLINE));
    assertInstanceOf(RaftException.NotLeader.class, failure, "the command was not sent: " + failure);
  }

  private interface Request {
    CompletionStage<Object> send(RequestLoop loop, ActorRef<ServerCommand> server);
  }

  private RaftException requestToStoppedServer(boolean sessions, Request request) throws Exception {
    ActorRef<ServerCommand> server = kit.spawn(Behaviors.empty());
    kit.stop(server);
    ExplicitlyTriggeredScheduler scheduler = (ExplicitlyTriggeredScheduler) kit.system().classicSystem().scheduler();
    LongSupplier clock = () -> TimeUnit.MILLISECONDS.toNanos(scheduler.currentTimeMs());
    CountingAsker asker = new CountingAsker(clock);
    SessionSettings settings = new SessionSettings(sessions, Duration.ofMinutes(1), 100, 100, ATTEMPT_TIMEOUT,
        scheduler::currentTimeMs);
    RequestLoop loop = new RequestLoop(kit.system(), RaftSerialization.get(kit.system()).codec(), asker, settings,
        clock);
    CompletableFuture<Object> result = request.send(loop, server).toCompletableFuture();
    // Simulated time passes 10 ms at a time, past the deadline.
    for (int ms = 10; ms <= DEADLINE.toMillis() + 50 && !result.isDone() && !asker.spun.isDone(); ms += 10) {
      time.timePasses(Duration.ofMillis(10));
    }
    CompletableFuture.anyOf(result.exceptionally(f -> null), asker.spun).get(20, TimeUnit.SECONDS);
    assertFalse(asker.spun.isDone(), asker.spun.getNow(""));
    List<Long> at = asker.attemptsAtMs;
    // The usual back-off: 20 waits of 1 ms, then 2, 4, ... up to 32 ms; at most one attempt per 10 ms step here.
    assertTrue(at.size() >= 2 && at.size() <= 50, "attempts within " + DEADLINE.toMillis() + " ms: " + at.size() + " " + at);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(20, TimeUnit.SECONDS));
    loop.close();
    return assertInstanceOf(RaftException.class, failed.getCause());
  }
}
