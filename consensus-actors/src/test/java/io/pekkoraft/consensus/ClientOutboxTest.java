package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

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
 * many are, released by the next answer, in the order each thread sent them.
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
    return new ClientRequest.ClientCommand(new byte[bytes], 1, client.getRef(), ++tag);
  }

  /** Fills the eager allowance: EAGER_IN_FLIGHT requests, each sent alone at once. */
  private List<ClientRequest> fillEager(TestProbe<ServerCommand> to) {
    List<ClientRequest> sent = new ArrayList<>();
    for (int i = 0; i < ClientOutbox.EAGER_IN_FLIGHT; i++) {
      ClientRequest.ClientCommand c = command(8);
      outbox.send(to.getRef(), c);
      sent.add(c);
      assertEquals(c, to.receiveMessage(), "with " + i + " in flight a request leaves at once, alone");
    }
    return sent;
  }

  @Test
  void aLoneRequestLeavesAtOnce() {
    ClientRequest.ClientCommand c = command(8);
    outbox.send(server.getRef(), c);
    assertEquals(c, server.receiveMessage());
  }

  @Test
  void requestsGatherWhileManyAreInFlightAndLeaveTogetherOnTheNextAnswer() {
    fillEager(server);
    List<ClientRequest> gathered = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ClientRequest.ClientCommand c = command(8);
      gathered.add(c);
      outbox.send(server.getRef(), c);
    }
    server.expectNoMessage(QUIET);
    outbox.answered(1);
    ClientBatch batch = assertInstanceOf(ClientBatch.class, server.receiveMessage());
    assertEquals(gathered, batch.requests(), "one batch, in the order they were sent");
    server.expectNoMessage(QUIET);
  }

  @Test
  void aRequestGoesStraightOutOnlyWhenNoneIsGathered() {
    fillEager(server);
    ClientRequest.ClientCommand waiting = command(8);
    outbox.send(server.getRef(), waiting);
    outbox.answered(ClientOutbox.EAGER_IN_FLIGHT); // few in flight now, but one is still gathered
    ClientRequest.ClientCommand next = command(8);
    outbox.send(server.getRef(), next);
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
    outbox.send(server.getRef(), a);
    outbox.send(server.getRef(), b);
    outbox.send(server.getRef(), c);
    server.expectNoMessage(QUIET);
    outbox.answered(1);
    assertEquals(List.of(a, b), assertInstanceOf(ClientBatch.class, server.receiveMessage()).requests(),
        "full at " + ClientOutbox.BATCH_BYTES_MAX + " bytes");
    assertEquals(c, server.receiveMessage(), "the rest in the next message");
  }

  @Test
  void onceEveryRequestInFlightIsAnsweredTheNextLeavesAtOnce() {
    // Nothing is in flight to release a gathered request: the next one must not wait.
    fillEager(server);
    ClientRequest.ClientCommand late = command(8);
    outbox.answered(ClientOutbox.EAGER_IN_FLIGHT);
    outbox.send(server.getRef(), late);
    assertEquals(late, server.receiveMessage());
  }

  @Test
  void eachServerGetsItsOwnBatch() {
    TestProbe<ServerCommand> other = testKit.createTestProbe(ServerCommand.class);
    fillEager(server);
    ClientRequest.ClientCommand toServer = command(8);
    ClientRequest.ClientCommand toOther = command(8);
    ClientRequest.ClientCommand toServerAgain = command(8);
    outbox.send(server.getRef(), toServer);
    outbox.send(other.getRef(), toOther);
    outbox.send(server.getRef(), toServerAgain);
    outbox.answered(1);
    assertEquals(List.of(toServer, toServerAgain), assertInstanceOf(ClientBatch.class, server.receiveMessage()).requests());
    assertEquals(toOther, other.receiveMessage(), "a batch of one travels as the request itself");
  }
}
