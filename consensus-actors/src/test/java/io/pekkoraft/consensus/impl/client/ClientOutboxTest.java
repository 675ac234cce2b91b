package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client outbox: at once while few requests are in flight, gathered into one batch per server while
 * many are, released by the next answer, in the order each thread sent them; a request whose claim was
 * taken by whoever failed its caller is never sent.
 */
class ClientOutboxTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration QUIET = Duration.ofMillis(200);

  private ClientOutbox outbox;
  private TestProbe<ServerCommand> server;
  private TestProbe<ClientReply> client;
  private long tag;

  @BeforeEach
  void start() {
    outbox = new ClientOutbox();
    server = testKit.createTestProbe(ServerCommand.class);
    client = testKit.createTestProbe(ClientReply.class);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ClientRequest.ClientCommand command(int bytes) {
    return new ClientRequest.ClientCommand(new byte[bytes], 1, ++tag, client.getRef());
  }

  /** Fills the eager allowance: EAGER_IN_FLIGHT requests, each sent alone at once. */
  private List<ClientRequest> fillEager(TestProbe<ServerCommand> to) {
    List<ClientRequest> sent = new ArrayList<>();
    for (int i = 0; i < ClientOutbox.EAGER_IN_FLIGHT; i++) {
      ClientRequest.ClientCommand c = command(8);
      outbox.send(to.getRef(), c, new ClientOutbox.Claim());
      sent.add(c);
      assertEquals(c, to.receiveMessage(), "with " + i + " in flight a request leaves at once, alone");
    }
    return sent;
  }

  @Test
  void aLoneRequestLeavesAtOnce() {
    ClientRequest.ClientCommand c = command(8);
    outbox.send(server.getRef(), c, new ClientOutbox.Claim());
    assertEquals(c, server.receiveMessage());
  }

  @Test
  void requestsGatherWhileManyAreInFlightAndLeaveTogetherOnTheNextAnswer() {
    fillEager(server);
    List<ClientRequest> gathered = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ClientRequest.ClientCommand c = command(8);
      gathered.add(c);
      outbox.send(server.getRef(), c, new ClientOutbox.Claim());
    }
    server.expectNoMessage(QUIET);
    outbox.answered(server.getRef(), 1);
    ClientBatch batch = assertInstanceOf(ClientBatch.class, server.receiveMessage());
    assertEquals(gathered, batch.requests(), "one batch, in the order they were sent");
    server.expectNoMessage(QUIET);
  }

  @Test
  void aRequestGoesStraightOutOnlyWhenNoneIsGathered() {
    fillEager(server);
    ClientRequest.ClientCommand waiting = command(8);
    outbox.send(server.getRef(), waiting, new ClientOutbox.Claim());
    outbox.answered(server.getRef(), ClientOutbox.EAGER_IN_FLIGHT); // few in flight now, but one is still gathered
    ClientRequest.ClientCommand next = command(8);
    outbox.send(server.getRef(), next, new ClientOutbox.Claim());
    List<ServerCommand> received = List.of(server.receiveMessage(), server.receiveMessage());
    List<ClientRequest> order = new ArrayList<>();
    for (ServerCommand m : received) {
      if (m instanceof ClientBatch b) order.addAll(b.requests());
      else order.add((ClientRequest) m);
    }
    assertEquals(List.of(waiting, next), order, "the gathered request leaves before the next one");
  }

  @Test
  void aBatchIsCutWhenItIsFull() {
    fillEager(server);
    int half = ClientOutbox.BATCH_BYTES_MAX / 2;
    ClientRequest.ClientCommand a = command(half);
    ClientRequest.ClientCommand b = command(half);
    ClientRequest.ClientCommand c = command(half);
    outbox.send(server.getRef(), a, new ClientOutbox.Claim());
    outbox.send(server.getRef(), b, new ClientOutbox.Claim());
    outbox.send(server.getRef(), c, new ClientOutbox.Claim());
    server.expectNoMessage(QUIET);
    outbox.answered(server.getRef(), 1);
    assertEquals(List.of(a, b), assertInstanceOf(ClientBatch.class, server.receiveMessage()).requests(),
        "full at " + ClientOutbox.BATCH_BYTES_MAX + " bytes");
    assertEquals(c, server.receiveMessage(), "the rest in the next message");
  }

  @Test
  void onceEveryRequestInFlightIsAnsweredTheNextLeavesAtOnce() {
    // Nothing is in flight to release a gathered request: the next one must not wait.
    fillEager(server);
    ClientRequest.ClientCommand late = command(8);
    outbox.answered(server.getRef(), ClientOutbox.EAGER_IN_FLIGHT);
    outbox.send(server.getRef(), late, new ClientOutbox.Claim());
    assertEquals(late, server.receiveMessage());
  }

  @Test
  void aServerThatDoesNotAnswerHoldsBackOnlyItsOwnRequests() {
    // Four requests wait for a leader that will never answer (its node was killed): a request to another
    // server (its successor) leaves at once, alone, instead of waiting until those four reach their deadline.
    TestProbe<ServerCommand> other = testKit.createTestProbe(ServerCommand.class);
    fillEager(server);
    ClientRequest.ClientCommand toServer = command(8);
    ClientRequest.ClientCommand toOther = command(8);
    ClientRequest.ClientCommand toServerAgain = command(8);
    outbox.send(server.getRef(), toServer, new ClientOutbox.Claim());
    outbox.send(other.getRef(), toOther, new ClientOutbox.Claim());
    assertEquals(toOther, other.receiveMessage(), "the other server has nothing in flight: at once, alone");
    outbox.send(server.getRef(), toServerAgain, new ClientOutbox.Claim());
    server.expectNoMessage(QUIET);
    outbox.answered(other.getRef(), 1);
    server.expectNoMessage(QUIET); // another server's answer does not clock this one
    outbox.answered(server.getRef(), 1);
    assertEquals(List.of(toServer, toServerAgain), assertInstanceOf(ClientBatch.class, server.receiveMessage()).requests(),
        "each server gets its own batch");
  }

  @Test
  void aGatheredRequestWhoseCallerWasFailedIsDroppedNotSent() {
    // The deadline sweep took the claim of a gathered request (and failed its caller): the next answer
    // sends the others gathered with it, and not that one.
    fillEager(server);
    ClientRequest.ClientCommand failed = command(8);
    ClientRequest.ClientCommand live = command(8);
    ClientOutbox.Claim failedClaim = new ClientOutbox.Claim();
    outbox.send(server.getRef(), failed, failedClaim);
    outbox.send(server.getRef(), live, new ClientOutbox.Claim());
    assertTrue(failedClaim.take(), "the sweep comes first");
    outbox.answered(server.getRef(), 1); // the failed one's deadline
    assertEquals(live, server.receiveMessage(), "only the live request leaves, alone");
    ClientRequest.ClientCommand marker = command(0);
    server.getRef().tell(marker); // told after everything the outbox sent above, from this same thread
    assertEquals(marker, server.receiveMessage(), "nothing else was sent");
  }

  @Test
  void aRequestWhoseCallerWasFailedBeforeItLeftIsNotSentEvenWithRoomInFlight() {
    // The caller was failed between registering the request and handing it to the outbox: with nothing in
    // flight it would leave at once, but its claim is gone.
    ClientOutbox.Claim taken = new ClientOutbox.Claim();
    assertTrue(taken.take());
    outbox.send(server.getRef(), command(8), taken);
    outbox.answered(server.getRef(), 1);
    ClientRequest.ClientCommand marker = command(0);
    server.getRef().tell(marker);
    assertEquals(marker, server.receiveMessage(), "the failed request was not sent");
    ClientRequest.ClientCommand next = command(8);
    outbox.send(server.getRef(), next, new ClientOutbox.Claim());
    assertEquals(next, server.receiveMessage(), "and it holds up nothing behind it");
  }
}
