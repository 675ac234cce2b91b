package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.impl.SessionSettings;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
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
    final List<ActorRef<ServerCommand>> servers = new ArrayList<>();
    final List<Duration> timeouts = new ArrayList<>();
    int asked;

    @Override
    public CompletionStage<ClientReply> ask(ActorRef<ServerCommand> server, RequestLoop.RequestMaker maker,
        byte[] payload, int hops, Duration timeout) {
      asked++;
      servers.add(server);
      timeouts.add(timeout);
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

  /** The leader first; once it failed to answer, the next server (as a route that learned it died). */
  private static RequestLoop.Route leaderThenNext(ActorRef<ServerCommand> leader, ActorRef<ServerCommand> next) {
    return new RequestLoop.Route() {
      ActorRef<ServerCommand> current = leader;

      @Override
      public ActorRef<ServerCommand> next() {
        return current;
      }

      @Override
      public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
        return false;
      }

      @Override
      public void served(ActorRef<ServerCommand> asked) {}

      @Override
      public void noAnswer(ActorRef<ServerCommand> asked) {
        if (asked.equals(leader)) current = next;
      }

      @Override
      public int hops() {
        return 1;
      }
    };
  }

  @Test
  void aReadWithNoAnswerIsSentAgainAfterTheAttemptTimeoutToTheNextServer() throws Exception {
    // The leader's node was killed with the read in flight: no answer will ever come. The read waits one
    // attempt timeout, not its whole deadline, and goes to the next server, which serves it.
    ScriptedServer server = new ScriptedServer();
    server.script.add("no answer");
    server.script.add(new ClientReply.Applied(5L, 0));
    RequestLoop loop = new RequestLoop(kit.system(), RaftSerialization.get(kit.system()).codec(), server);
    Duration attemptTimeout = SessionSettings.fromConfig(kit.system().settings().config().getConfig("pekko-raft"))
        .attemptTimeout();
    TestProbe<ServerCommand> dead = kit.createTestProbe();
    TestProbe<ServerCommand> successor = kit.createTestProbe();
    Object result = loop.query("q", ReadConsistency.LINEARIZABLE, leaderThenNext(dead.ref(), successor.ref()),
        Duration.ofSeconds(30)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(5L, result);
    assertEquals(List.of(dead.ref(), successor.ref()), server.servers, "sent again, to the next server");
    assertEquals(attemptTimeout, server.timeouts.get(0), "the first attempt waits the attempt timeout, not 30 s");
    loop.close();
  }

  @Test
  void aReadAnsweredNoQuorumIsSentAgainUntilServed() throws Exception {
    // A read changes nothing: NoQuorum (a leader that lost its majority) is not final for it.
    ScriptedServer server = new ScriptedServer();
    server.script.add(new ClientReply.NoQuorum("no majority answered the heartbeat round"));
    server.script.add(new ClientReply.Applied(6L, 0));
    RequestLoop loop = new RequestLoop(kit.system(), RaftSerialization.get(kit.system()).codec(), server);
    TestProbe<ServerCommand> leader = kit.createTestProbe();
    Object result = loop.query("q", ReadConsistency.LINEARIZABLE, io.pekkoraft.consensus.testing.Routes.toOne(leader.ref()),
        Duration.ofSeconds(10)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(6L, result);
    assertEquals(2, server.asked);
    loop.close();
  }
}
