package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The client's retries with a session, against a scripted server: each attempt gets the next answer of a
 * script, so the exact sequence of answers a retried command can meet is played.
 */
class RequestLoopRetryTest {

  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Answers attempts from a script, in order; the session opening gets session id 7. */
  private static final class ScriptedServer implements RequestLoop.Asker {
    final Deque<Object> script = new ArrayDeque<>();
    int asked;

    @Override
    public CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
        byte[] payload, int hops, Duration timeout) {
      asked++;
      Object next = script.poll();
      if (next instanceof ClientReply reply) return CompletableFuture.completedFuture(reply);
      return CompletableFuture.failedFuture(new TimeoutException("no answer within " + timeout.toMillis() + " ms"));
    }
  }

  @Test
  void aRetryRefusedAfterAnUnansweredAttemptIsNotReportedAsNotApplied() throws Exception {
    // The first copy of the command got no answer: it may be in the log. The retry is refused (an
    // overloaded leader). "Rejected, not applied" would be false; the client sends again, and the session
    // answers with the command's result.
    ScriptedServer server = new ScriptedServer();
    server.script.add(new ClientReply.Applied(7L, 7)); // the session opens at index 7
    server.script.add("no answer");
    server.script.add(new ClientReply.Rejected("overloaded: 10000 commands are waiting to commit"));
    server.script.add(new ClientReply.Applied("done", 9));
    RequestLoop loop = new RequestLoop(kit.system(), RaftSerialization.get(kit.system()).codec(), server);
    TestProbe<ServerCommand> leader = kit.createTestProbe();
    Object result = loop.command("x", io.pekkoraft.consensus.testing.Routes.toOne(leader.ref()), Duration.ofSeconds(10)).toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
    assertEquals("done", result);
    assertEquals(4, server.asked);
    loop.close();
  }
}
