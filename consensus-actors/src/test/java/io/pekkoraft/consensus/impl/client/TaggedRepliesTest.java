package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One actor takes the answers of many requests by tag; a request without an answer fails at its deadline,
 * and one failed while still gathered in the outbox is never sent. Time and the deadline sweep move only
 * when the test says, and except in the first test the answers are handed over on the test's thread, not
 * through the answer actor: whatever the outbox sends is sent before the test's next line.
 */
class TaggedRepliesTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final AtomicInteger instances = new AtomicInteger();
  private static final RequestLoop.RequestMaker COMMAND = ClientRequest.ClientCommand::new;
  private static final Duration LONG = Duration.ofMinutes(1);
  private static final Duration SHORT = Duration.ofMillis(100);

  private final AtomicLong now = new AtomicLong();
  private TaggedReplies replies;
  private TestProbe<ServerCommand> server;
  private byte payload;

  @BeforeEach
  void start() {
    now.set(1_000_000_000L);
    replies = new TaggedReplies(testKit.system(), "replies-" + instances.incrementAndGet(), now::get);
    server = testKit.createTestProbe(ServerCommand.class);
  }

  @AfterEach
  void stop() {
    replies.stop();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private CompletableFuture<ClientReply> ask(Duration timeout) {
    return replies.ask(server.getRef(), COMMAND, new byte[] {++payload}, 1, timeout).toCompletableFuture();
  }

  private ClientRequest.ClientCommand received() {
    return assertInstanceOf(ClientRequest.ClientCommand.class, server.receiveMessage());
  }

  /**
   * The payloads (one byte each) of what the client sent the server since the last look, in order, batches
   * unpacked. All of it was sent on this thread, so a marker told now arrives after all of it.
   */
  private List<Byte> sentSinceLastLook() {
    ClientRequest.ClientCommand marker = new ClientRequest.ClientCommand(new byte[0], 1, -1, null);
    server.getRef().tell(marker);
    List<Byte> sent = new ArrayList<>();
    for (ServerCommand m = server.receiveMessage(); m != marker; m = server.receiveMessage()) {
      List<ClientRequest> requests = m instanceof ClientBatch batch ? batch.requests() : List.of((ClientRequest) m);
      for (ClientRequest r : requests) sent.add(((ClientRequest.ClientCommand) r).command()[0]);
    }
    return sent;
  }

  private static ClientEnvelope.Tagged applied(ClientRequest.ClientCommand request) {
    return new ClientEnvelope.Tagged(request.tag(), new ClientReply.Applied((long) request.command()[0], 1));
  }

  private static void assertTimedOut(CompletableFuture<ClientReply> answer) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
  }

  @Test
  void answersReachTheirRequestsAloneOrInABatch() throws Exception {
    // Through the answer actor: one batch of answers completes each request with its own answer.
    CompletableFuture<ClientReply> a = ask(LONG);
    CompletableFuture<ClientReply> b = ask(LONG);
    ClientRequest.ClientCommand first = received();
    ClientRequest.ClientCommand second = received();
    first.envelopeReplyTo().tell(new ClientEnvelope.TaggedBatch(List.of(
        new ClientEnvelope.Tagged(second.tag(), new ClientReply.Applied(20L, 2)),
        new ClientEnvelope.Tagged(first.tag(), new ClientReply.Applied(10L, 1)))));
    assertEquals(new ClientReply.Applied(10L, 1), a.get(5, TimeUnit.SECONDS));
    assertEquals(new ClientReply.Applied(20L, 2), b.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aRequestWithoutAnswerFailsAtItsDeadlineAndALateAnswerIsIgnored() throws Exception {
    // The eager allowance is full, one of the four with a short deadline. The sweep fails it at its
    // deadline, not before; from then on it no longer counts as in flight, and its late answer does not
    // count as one more answer: with three in flight one new request leaves at once and the next gathers.
    CompletableFuture<ClientReply> unanswered = ask(SHORT);
    ClientRequest.ClientCommand late = received();
    for (int i = 1; i < ClientOutbox.EAGER_IN_FLIGHT; i++) {
      ask(LONG);
      received();
    }
    now.addAndGet(SHORT.toNanos() - 1);
    replies.sweep();
    assertFalse(unanswered.isDone(), "failed before its deadline");
    now.addAndGet(1);
    replies.sweep();
    assertTimedOut(unanswered);

    replies.answer(applied(late)); // too late: dropped
    assertTimedOut(unanswered);
    ask(LONG);
    byte first = payload;
    ask(LONG);
    assertEquals(List.of(first), sentSinceLastLook(),
        "with " + (ClientOutbox.EAGER_IN_FLIGHT - 1) + " in flight one request leaves at once and the next gathers");
  }

  @Test
  void aRequestFailedWhileGatheredIsNeverSent() throws Exception {
    // A request gathers behind the eager allowance and its deadline passes there: its caller is told it
    // timed out (outcome unknown), so it must never reach a server, neither when the sweep reports it to
    // the outbox nor when the next answer sends what gathered.
    List<ClientRequest.ClientCommand> eager = new ArrayList<>();
    for (int i = 0; i < ClientOutbox.EAGER_IN_FLIGHT; i++) {
      ask(LONG);
      eager.add(received());
    }
    CompletableFuture<ClientReply> gathered = ask(SHORT);
    assertEquals(List.of(), sentSinceLastLook(), "sent although " + ClientOutbox.EAGER_IN_FLIGHT + " were in flight");

    now.addAndGet(SHORT.toNanos());
    replies.sweep();
    assertTimedOut(gathered);
    assertEquals(List.of(), sentSinceLastLook(), "a request whose caller timed out was sent when the sweep failed it");

    replies.answer(applied(eager.get(0)));
    assertEquals(List.of(), sentSinceLastLook(), "a request whose caller timed out was sent with the next answer");

    ask(LONG);
    assertEquals(List.of(payload), sentSinceLastLook(), "the dropped request holds up nothing behind it");
  }

  @Test
  void stoppingFailsWhatStillWaits() {
    CompletableFuture<ClientReply> waiting = ask(LONG);
    received();
    replies.stop();
    assertTimedOut(waiting);
  }
}
