package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * One actor takes the answers of many requests by tag; a request without an answer fails at its deadline,
 * and one failed while still gathered in the outbox is never sent.
 */
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

  /**
   * The payloads (one byte each) of what was sent to {@code server} since the last look, in order, batches
   * unpacked. All of it was sent on this thread, so a marker told now arrives after all of it.
   */
  private static List<Byte> sentSinceLastLook(TestProbe<ServerCommand> server) {
    ClientRequest.ClientCommand marker = new ClientRequest.ClientCommand(new byte[0], 1, null, -1);
    server.getRef().tell(marker);
    List<Byte> sent = new ArrayList<>();
    for (ServerCommand m = server.receiveMessage(); m != marker; m = server.receiveMessage()) {
      List<ClientRequest> requests = m instanceof ClientBatch batch ? batch.requests() : List.of((ClientRequest) m);
      for (ClientRequest r : requests) sent.add(((ClientRequest.ClientCommand) r).command()[0]);
    }
    return sent;
  }

  @Test
  void aRequestFailedWhileGatheredIsNeverSent() throws Exception {
    // A request gathers behind the eager allowance and its deadline passes there: its caller is told it
    // timed out (outcome unknown), so it must never reach a server, neither when the sweep reports it to
    // the outbox nor when the next answer sends what gathered. Time and the sweep move as the test says,
    // and answers are handed over on the test's thread, so what the outbox sends is sent before the next line.
    AtomicLong now = new AtomicLong(1_000_000_000L);
    TaggedReplies replies = new TaggedReplies(testKit.system(), "replies-" + System.nanoTime(), now::get);
    TestProbe<ServerCommand> server = testKit.createTestProbe(ServerCommand.class);
    List<ClientRequest.ClientCommand> eager = new ArrayList<>();
    for (int i = 0; i < ClientOutbox.EAGER_IN_FLIGHT; i++) {
      replies.ask(server.getRef(), COMMAND, new byte[] {(byte) i}, 1, Duration.ofMinutes(1));
      eager.add(assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage()));
    }
    CompletableFuture<ClientReply> gathered =
        replies.ask(server.getRef(), COMMAND, new byte[] {10}, 1, Duration.ofMillis(100)).toCompletableFuture();
    assertEquals(List.of(), sentSinceLastLook(server), "sent although " + ClientOutbox.EAGER_IN_FLIGHT + " were in flight");

    now.addAndGet(Duration.ofMillis(100).toNanos());
    replies.sweep();
    ExecutionException e = assertThrows(ExecutionException.class, () -> gathered.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
    assertEquals(List.of(), sentSinceLastLook(server), "a request whose caller timed out was sent when the sweep failed it");

    replies.answer(new ClientReply.Tagged(eager.get(0).tag(), new ClientReply.Applied(0L, 1)));
    assertEquals(List.of(), sentSinceLastLook(server), "a request whose caller timed out was sent with the next answer");

    replies.ask(server.getRef(), COMMAND, new byte[] {11}, 1, Duration.ofMinutes(1));
    assertEquals(List.of((byte) 11), sentSinceLastLook(server), "the dropped request holds up nothing behind it");
    replies.stop();
  }
}
