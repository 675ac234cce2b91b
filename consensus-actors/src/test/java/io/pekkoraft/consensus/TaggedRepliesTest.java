package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** One actor takes the answers of many requests by tag; a request without an answer fails at its deadline. */
class TaggedRepliesTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final RequestLoop.RequestMaker COMMAND = ClientRequest.ClientCommand::new;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static TaggedReplies replies() {
    return new TaggedReplies(testKit.system(), "replies-" + System.nanoTime());
  }

  @Test
  void answersReachTheirRequestsAloneOrInABatch() throws Exception {
    TaggedReplies replies = replies();
    TestProbe<ServerCommand> server = testKit.createTestProbe(ServerCommand.class);
    CompletableFuture<ClientReply> a = replies.ask(server.getRef(), COMMAND, new byte[] {1}, 1, Duration.ofSeconds(5)).toCompletableFuture();
    CompletableFuture<ClientReply> b = replies.ask(server.getRef(), COMMAND, new byte[] {2}, 1, Duration.ofSeconds(5)).toCompletableFuture();
    ClientRequest.ClientCommand first = assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage());
    ClientRequest.ClientCommand second = assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage());
    first.replyTo().tell(new ClientReply.TaggedBatch(List.of(
        new ClientReply.Tagged(second.tag(), new ClientReply.Applied(20L, 2)),
        new ClientReply.Tagged(first.tag(), new ClientReply.Applied(10L, 1)))));
    assertEquals(new ClientReply.Applied(10L, 1), a.get(5, TimeUnit.SECONDS));
    assertEquals(new ClientReply.Applied(20L, 2), b.get(5, TimeUnit.SECONDS));
    replies.stop();
  }

  @Test
  void aRequestWithoutAnswerFailsAtItsDeadlineAndALateAnswerIsIgnored() throws Exception {
    TaggedReplies replies = replies();
    TestProbe<ServerCommand> server = testKit.createTestProbe(ServerCommand.class);
    long start = System.nanoTime();
    CompletableFuture<ClientReply> unanswered =
        replies.ask(server.getRef(), COMMAND, new byte[] {1}, 1, Duration.ofMillis(100)).toCompletableFuture();
    ClientRequest.ClientCommand request = assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage());
    ExecutionException e = assertThrows(ExecutionException.class, () -> unanswered.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100), "not before its deadline");
    request.replyTo().tell(new ClientReply.Tagged(request.tag(), new ClientReply.Applied(1L, 1))); // too late: dropped

    // The late request no longer counts as in flight: the next one is sent at once.
    CompletableFuture<ClientReply> next =
        replies.ask(server.getRef(), COMMAND, new byte[] {2}, 1, Duration.ofSeconds(5)).toCompletableFuture();
    ClientRequest.ClientCommand nextRequest = assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage());
    nextRequest.replyTo().tell(new ClientReply.Tagged(nextRequest.tag(), new ClientReply.Applied(2L, 2)));
    assertEquals(new ClientReply.Applied(2L, 2), next.get(5, TimeUnit.SECONDS));
    replies.stop();
  }

  @Test
  void stoppingFailsWhatStillWaits() {
    TaggedReplies replies = replies();
    TestProbe<ServerCommand> server = testKit.createTestProbe(ServerCommand.class);
    CompletableFuture<ClientReply> waiting =
        replies.ask(server.getRef(), COMMAND, new byte[] {1}, 1, Duration.ofMinutes(1)).toCompletableFuture();
    server.receiveMessage();
    replies.stop();
    ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
  }
}
