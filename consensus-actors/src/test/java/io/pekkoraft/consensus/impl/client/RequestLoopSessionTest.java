package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.testing.Routes;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A command in the loop's session, once the session is open, is sent from the caller's thread, as a command
 * without a session is: a hop through the dispatcher per command costs every command a thread hand-over, on a
 * dispatcher that also runs the answers and the network.
 */
class RequestLoopSessionTest {

  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Opens session 7, applies every command; records what was asked and from which thread. */
  private static final class Server implements RequestLoop.Asker {
    final List<Thread> threads = new ArrayList<>();
    final List<ClientRequest.ClientCommand> requests = new ArrayList<>();

    @Override
    public synchronized CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
        byte[] payload, int hops, Duration timeout) {
      ClientRequest.ClientCommand request = (ClientRequest.ClientCommand) maker.make(payload, hops, 0, null);
      threads.add(Thread.currentThread());
      requests.add(request);
      return CompletableFuture.completedFuture(request.opensSession() ? new ClientReply.Applied(7L, 7)
          : new ClientReply.Applied("applied " + request.sequence(), 8 + requests.size()));
    }
  }

  @Test
  void onceTheSessionIsOpenACommandLeavesFromTheCallersThread() throws Exception {
    Server server = new Server();
    RequestLoop loop = new RequestLoop(kit.system(), RaftSerialization.get(kit.system()).codec(), server);
    TestProbe<ServerCommand> leader = kit.createTestProbe();
    RequestLoop.Route route = Routes.toOne(leader.ref());
    Thread caller = Thread.currentThread();

    assertEquals("applied 1", loop.command("x", route, Duration.ofSeconds(10)).toCompletableFuture().get(20, TimeUnit.SECONDS));
    assertEquals(true, server.requests.get(0).opensSession());
    assertEquals(caller, server.threads.get(0), "the opening is sent by the first command's caller");
    assertNotEquals(caller, server.threads.get(1), "the first command waited for the opening: sent when it completed");

    assertEquals("applied 2", loop.command("y", route, Duration.ofSeconds(10)).toCompletableFuture().get(20, TimeUnit.SECONDS));
    ClientRequest.ClientCommand second = server.requests.get(2);
    assertEquals(7, second.sessionId());
    assertEquals(2, second.sequence());
    assertEquals(1, second.ackedSequence());
    assertEquals(caller, server.threads.get(2), "sent from the caller's thread, not handed to the dispatcher");
    loop.close();
  }
}
