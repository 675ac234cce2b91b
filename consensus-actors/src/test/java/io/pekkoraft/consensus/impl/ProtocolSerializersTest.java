package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import io.pekkoraft.persistence.serialization.RaftSerializationException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The hand-written serializers of the protocol messages, through the codec of a running system (so with
 * its ActorRefResolver): every message with edge values comes back equal, every truncation fails, and
 * the buffer path reads what the array path wrote.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolSerializersTest {

  private ActorTestKit testKit;
  private KryoCodec codec;
  private TestProbe<ClientEnvelope> client;
  private TestProbe<ClientEnvelope> otherClient;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create();
    codec = RaftSerialization.get(testKit.system()).codec();
    client = testKit.createTestProbe();
    otherClient = testKit.createTestProbe();
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private static byte[] bytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private List<Object> messages() {
    List<LogEntry> thirteen = new ArrayList<>();
    for (int i = 0; i < 13; i++) thirteen.add(new LogEntry(1000 + i, 7, LogEntry.Type.COMMAND, bytes(256, i)));
    ActorRef<ClientReply> replyTo = replyTo(client);
    ClientRequest.ClientCommand command = new ClientRequest.ClientCommand(bytes(256, 1), 0, 42, replyTo);
    ClientRequest.ClientQuery query =
        new ClientRequest.ClientQuery("count".getBytes(StandardCharsets.UTF_8), ReadConsistency.LINEARIZABLE, 1, 7, replyTo);
    return List.of(
        new RaftMessage.RequestVote(0, "node-1", 0, 0, false, false, 0),
        new RaftMessage.RequestVote(Long.MAX_VALUE, "node-ü", Long.MAX_VALUE, Long.MAX_VALUE, true, true, Long.MIN_VALUE),
        new RaftMessage.RequestVote(3, "n", 5, 2, true, false, -1),
        new RaftMessage.RequestVoteResponse(0, "", false, false, 0),
        new RaftMessage.RequestVoteResponse(Long.MAX_VALUE, "node-2", true, true, Long.MAX_VALUE),
        new RaftMessage.AppendEntries(1, "node-1", 0, 0, List.of(), 0, 0),
        new RaftMessage.AppendEntries(7, "node-1", 999, 7, thirteen, 990, 123_456),
        new RaftMessage.AppendEntries(
            Long.MAX_VALUE, "node-1", Long.MAX_VALUE - 2, Long.MAX_VALUE,
            List.of(LogEntry.noop(Long.MAX_VALUE - 1, Long.MAX_VALUE),
                new LogEntry(Long.MAX_VALUE, Long.MAX_VALUE, LogEntry.Type.COMMAND, bytes(300_000, 9))),
            Long.MAX_VALUE, Long.MAX_VALUE),
        new RaftMessage.AppendEntriesResponse(0, "node-2", false, 0, 0, 0, 0, 0),
        new RaftMessage.AppendEntriesResponse(Long.MAX_VALUE, "node-2", true, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE),
        new RaftMessage.AppendEntriesResponse(4, "node-3", false, -1, -1, Long.MIN_VALUE, 9, 77),
        new RaftMessage.Heartbeat(0, "node-1", 0, 0),
        new RaftMessage.Heartbeat(Long.MAX_VALUE, "node-1", Long.MAX_VALUE, Long.MAX_VALUE),
        new RaftMessage.HeartbeatResponse(0, "node-2", 0, 0),
        new RaftMessage.HeartbeatResponse(Long.MAX_VALUE, "node-2", Long.MAX_VALUE, -42),
        new RaftMessage.TimeoutNow(0, "node-1"),
        new RaftMessage.TimeoutNow(Long.MAX_VALUE, null),
        command,
        new ClientRequest.ClientCommand(new byte[0], 0, replyTo),
        new ClientRequest.ClientCommand(bytes(1_000_000, 2), Integer.MAX_VALUE, Long.MAX_VALUE, replyTo),
        new ClientRequest.ClientCommand(bytes(3, 3), -1, Long.MIN_VALUE, replyTo),
        query,
        new ClientRequest.ClientQuery(new byte[0], ReadConsistency.STALE, 0, 0, replyTo),
        new ClientRequest.ClientQuery(bytes(10, 4), ReadConsistency.LINEARIZABLE, Integer.MAX_VALUE, Long.MAX_VALUE, replyTo),
        new ClientBatch(List.of(command)),
        new ClientBatch(List.of(command, query, command.forwarded())),
        new ClientBatch(
            List.of(command, new ClientRequest.ClientCommand(bytes(5, 5), 0, 1, replyTo(otherClient)), query)),
        new ClientReply.Applied(null, 0),
        new ClientReply.Applied("ok", Long.MAX_VALUE),
        new ClientReply.Applied(Long.MIN_VALUE, 5),
        new ClientReply.Applied(List.of("a", 1L), 6),
        new ClientReply.Applied(bytes(1000, 6), 7),
        new ClientReply.NotLeader(null),
        new ClientReply.NotLeader("node-3"),
        new ClientEnvelope.Tagged(0, new ClientReply.NotLeader(null)),
        new ClientEnvelope.Tagged(Long.MAX_VALUE, new ClientReply.Applied("x", 3)),
        new ClientEnvelope.Tagged(-5, new ClientReply.Timeout("slow")),
        new ClientReply.CommandFailed("java.lang.IllegalArgumentException: overflow", Long.MAX_VALUE),
        new ClientEnvelope.Tagged(8, new ClientReply.CommandFailed("refused", 9)),
        new ClientEnvelope.TaggedBatch(List.of(new ClientEnvelope.Tagged(1, new ClientReply.Applied(null, 1)))),
        new ClientEnvelope.TaggedBatch(
            List.of(
                new ClientEnvelope.Tagged(1, new ClientReply.Applied(2L, 1)),
                new ClientEnvelope.Tagged(2, new ClientReply.NotLeader("node-2")),
                new ClientEnvelope.Tagged(Long.MAX_VALUE, new ClientReply.Rejected("too large")))));
  }

  /** A probe as a request's replyTo: it takes the tagged envelopes too. */
  private static ActorRef<ClientReply> replyTo(TestProbe<ClientEnvelope> probe) {
    return probe.getRef().narrow();
  }

  @Test
  void everyMessageSurvivesWithEdgeValues() {
    for (Object message : messages()) {
      Object copy = codec.fromBytes(codec.toBytes(message));
      assertNotSame(message, copy);
      assertSameContent(message, copy, message.getClass().getSimpleName());
    }
  }

  @Test
  void theBufferPathAndTheArrayPathReadEachOther() {
    // Artery writes into a direct buffer and reads from it; serialize-messages uses arrays.
    for (Object message : messages()) {
      byte[] bytes = codec.toBytes(message);
      ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length + 10);
      buffer.position(10);
      codec.toBuffer(message, buffer);
      buffer.flip().position(10);
      byte[] written = new byte[buffer.remaining()];
      buffer.get(10, written);
      assertArrayEquals(bytes, written, message.getClass().getSimpleName());
      assertSameContent(message, codec.fromBuffer(buffer), message.getClass().getSimpleName());
      assertSameContent(message, codec.fromBytes(written), message.getClass().getSimpleName());
    }
  }

  @Test
  void everyTruncationFails() {
    // No prefix of a message decodes to anything: each fails with the codec's exception, no other.
    for (Object message : messages()) {
      byte[] bytes = codec.toBytes(message);
      if (bytes.length > 5000) continue; // the large payloads only repeat what the small ones check
      for (int length = 0; length < bytes.length; length++) {
        byte[] prefix = Arrays.copyOf(bytes, length);
        assertThrows(
            RaftSerializationException.class,
            () -> codec.fromBytes(prefix),
            message.getClass().getSimpleName() + ", prefix " + length + " of " + bytes.length);
      }
    }
  }

  @Test
  void aBatchWritesItsSharedReplyToOnceAndItsReaderResolvesItOnce() {
    // The usual batch: every request answers to one client actor. Its path is in the bytes once, and all
    // requests read back share one resolved ref, which still reaches the client.
    ActorRef<ClientReply> replyTo = replyTo(client);
    List<ClientRequest> requests = new ArrayList<>();
    for (int i = 1; i <= 5; i++) requests.add(new ClientRequest.ClientCommand(bytes(16, i), 0, i, replyTo));
    requests.add(new ClientRequest.ClientQuery(new byte[] {1}, ReadConsistency.STALE, 0, 6, replyTo));
    byte[] bytes = codec.toBytes(new ClientBatch(requests));
    assertEquals(1, occurrences(bytes, replyTo.path().toStringWithoutAddress()));

    ClientBatch copy = codec.fromBytes(bytes, ClientBatch.class);
    ActorRef<ClientReply> resolved = copy.requests().get(0).replyTo();
    assertEquals(replyTo, resolved);
    for (ClientRequest request : copy.requests()) assertSame(resolved, request.replyTo());
    copy.requests().get(5).reply(new ClientReply.Applied("done", 9));
    assertEquals(new ClientEnvelope.Tagged(6, new ClientReply.Applied("done", 9)), client.receiveMessage());
  }

  @Test
  void aBatchWithSeveralReplyTosKeepsEachRequestsOwn() {
    ClientRequest.ClientCommand first = new ClientRequest.ClientCommand(new byte[] {1}, 0, 1, replyTo(client));
    ClientRequest.ClientCommand second = new ClientRequest.ClientCommand(new byte[] {2}, 0, 2, replyTo(otherClient));
    ClientRequest.ClientCommand third = new ClientRequest.ClientCommand(new byte[] {3}, 0, 3, replyTo(client));
    byte[] bytes = codec.toBytes(new ClientBatch(List.of(first, second, third)));
    assertEquals(2, occurrences(bytes, replyTo(client).path().toStringWithoutAddress()));

    ClientBatch copy = codec.fromBytes(bytes, ClientBatch.class);
    assertEquals(replyTo(client), copy.requests().get(0).replyTo());
    assertEquals(replyTo(otherClient), copy.requests().get(1).replyTo());
    assertEquals(replyTo(client), copy.requests().get(2).replyTo());
    copy.requests().get(1).reply(new ClientReply.NotLeader(null));
    assertEquals(new ClientEnvelope.Tagged(2, new ClientReply.NotLeader(null)), otherClient.receiveMessage());
  }

  @Test
  void nullReplyTosAndPayloadsStayNull() {
    // The records allow nulls, so the serializers carry them rather than turn them into something else.
    ClientRequest.ClientCommand command = new ClientRequest.ClientCommand(null, 0, 1, null);
    ClientRequest.ClientQuery query = new ClientRequest.ClientQuery(null, null, 0, 2, null);
    ClientBatch copy = codec.fromBytes(codec.toBytes(new ClientBatch(List.of(command, query))), ClientBatch.class);
    ClientRequest.ClientCommand commandCopy = (ClientRequest.ClientCommand) copy.requests().get(0);
    ClientRequest.ClientQuery queryCopy = (ClientRequest.ClientQuery) copy.requests().get(1);
    assertNull(commandCopy.command());
    assertNull(commandCopy.replyTo());
    assertNull(queryCopy.query());
    assertNull(queryCopy.consistency());
    assertNull(queryCopy.replyTo());
    assertEquals(2, queryCopy.tag());
  }

  @Test
  void theHeartbeatLayoutIsFixed() {
    // The wire format between nodes: class id 204 (+2 as Kryo writes it, a varint), then term, from
    // (ASCII, last char with the high bit), commitIndex and round as unsigned varints.
    byte[] bytes = codec.toBytes(new RaftMessage.Heartbeat(3, "n1", 300, 0));
    assertArrayEquals(new byte[] {(byte) 0xCE, 0x01, 3, 'n', (byte) ('1' | 0x80), (byte) 0xAC, 0x02, 0}, bytes);
  }

  @Test
  void corruptBytesFailClearly() {
    // Flags with unknown bits, an unknown request kind or consistency, an empty batch: refused by name.
    byte[] vote = codec.toBytes(new RaftMessage.RequestVote(1, "a", 1, 1, false, false, 5));
    vote[vote.length - 9] = 4; // the flags, before the replica id's 8 bytes
    assertFailsWith(vote, "unknown flags 4 in a RequestVote");

    byte[] batch = codec.toBytes(new ClientBatch(List.of(new ClientRequest.ClientCommand(new byte[0], 0, 0, null))));
    // class id (2 bytes), count 1, flags (shared), null ref, then the request's kind
    assertEquals(0, batch[5]);
    byte[] unknownKind = batch.clone();
    unknownKind[5] = 9;
    assertFailsWith(unknownKind, "unknown client request kind 9");
    byte[] empty = {batch[0], batch[1], 0, 0};
    assertFailsWith(empty, "an empty batch of client requests");
    byte[] hugeCount = {batch[0], batch[1], (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 0};
    assertFailsWith(hugeCount, "ClientBatch claims");

    byte[] query = codec.toBytes(new ClientRequest.ClientQuery(new byte[0], ReadConsistency.STALE, 0, 0, null));
    // class id (2 bytes), payload length + 1 (1: empty), then the consistency
    query[3] = 17;
    assertFailsWith(query, "unknown read consistency 17");
  }

  private void assertFailsWith(byte[] bytes, String expected) {
    RaftSerializationException e = assertThrows(RaftSerializationException.class, () -> codec.fromBytes(bytes));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static int occurrences(byte[] haystack, String needle) {
    String text = new String(haystack, StandardCharsets.ISO_8859_1);
    int count = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) count++;
    return count;
  }

  /** Equal, with byte arrays compared by content (records holding them do not). */
  private static void assertSameContent(Object expected, Object actual, String where) {
    if (expected == null || actual == null) {
      assertSame(expected, actual, where);
      return;
    }
    if (expected instanceof List<?> e) {
      // Lists come back as immutable lists, whatever list was sent.
      List<?> a = assertInstanceOf(List.class, actual, where);
      assertEquals(e.size(), a.size(), where);
      for (int i = 0; i < e.size(); i++) assertSameContent(e.get(i), a.get(i), where + "[" + i + "]");
      return;
    }
    assertEquals(expected.getClass(), actual.getClass(), where);
    if (expected instanceof byte[] e) {
      assertArrayEquals(e, (byte[]) actual, where);
    } else if (expected.getClass().isRecord()) {
      for (RecordComponent component : expected.getClass().getRecordComponents()) {
        try {
          assertSameContent(
              component.getAccessor().invoke(expected), component.getAccessor().invoke(actual),
              where + "." + component.getName());
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
    } else {
      assertEquals(expected, actual, where);
    }
  }
}
