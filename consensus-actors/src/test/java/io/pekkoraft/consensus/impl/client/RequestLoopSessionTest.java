package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A command of a session that is open already goes out at once, on the caller's thread: only the first
 * command of a session waits for its opening (and continues on the dispatcher when it is answered). A hop
 * through the dispatcher for every command costs a thread wake-up per command, which on a machine of two
 * cores made the default (sessions on) slower than sessions off.
 */
class RequestLoopSessionTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final long SESSION_ID = 7;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** A server that applies everything at once: the session opening answers SESSION_ID, a command its sequence. */
  private record Sent(ClientRequest.ClientCommand request, Thread thread) {}

  @Test
  void aCommandOfAnOpenSessionIsSentOnTheCallersThread() throws Exception {
    List<Sent> sent = new CopyOnWriteArrayList<>();
    ActorRef<ServerCommand> server = testKit.createTestProbe(ServerCommand.class).getRef();
    RequestLoop.Asker asker = (to, maker, payload, hops, timeout) -> {
      ClientRequest.ClientCommand request = (ClientRequest.ClientCommand) maker.make(payload, hops, 0, null);
      sent.add(new Sent(request, Thread.currentThread()));
      Object result = request.opensSession() ? SESSION_ID : request.sequence();
      CompletionStage<ClientReply> answer = CompletableFuture.completedFuture(new ClientReply.Applied(result, 1));
      return answer;
    };
    RequestLoop loop = new RequestLoop(testKit.system(), RaftSerialization.get(testKit.system()).codec(), asker);
    RequestLoop.Route route = new RequestLoop.Route() {
      @Override
      public ActorRef<ServerCommand> next() {
        return server;
      }

      @Override
      public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
        return false;
      }

      @Override
      public void served(ActorRef<ServerCommand> asked) {}

      @Override
      public void noAnswer(ActorRef<ServerCommand> asked) {}

      @Override
      public int hops() {
        return 1;
      }
    };
    try {
      // The first command opens the session, then goes out once the opening is answered.
      Object first = loop.command("first", route, Duration.ofMinutes(1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(1L, first);
      assertEquals(2, sent.size(), "the opening and the first command: " + sent);
      assertTrue(sent.get(0).request().opensSession());

      loop.command("second", route, Duration.ofMinutes(1));

      assertEquals(3, sent.size(), "the second command must be sent before command() returns, not later on the"
          + " dispatcher: " + sent);
      Sent second = sent.get(2);
      assertEquals(SESSION_ID, second.request().sessionId());
      assertEquals(2, second.request().sequence());
      assertSame(Thread.currentThread(), second.thread(), "the second command went out on " + second.thread().getName());
    } finally {
      loop.close();
    }
  }
}
