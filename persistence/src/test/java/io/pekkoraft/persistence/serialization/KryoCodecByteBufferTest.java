package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.serialization.TestMessages.Greeting;
import io.pekkoraft.persistence.serialization.TestMessages.Holder;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ByteBuffer path of the codec, which Artery uses: the same bytes as the byte array path, and the same failures. */
class KryoCodecByteBufferTest {

  private final KryoCodec codec =
      KryoCodec.create(
          getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), new TestKryoRegistrar()));

  private static List<Object> messages() {
    byte[] large = new byte[100_000];
    new Random(7).nextBytes(large);
    return List.of(
        new RaftEvent.TermAdvanced(Long.MAX_VALUE),
        new RaftEvent.VoteCast(0, null),
        new RaftEvent.EntriesAppended(List.of()),
        new RaftEvent.EntriesAppended(
            List.of(LogEntry.noop(1, 1), new LogEntry(2, 1, LogEntry.Type.COMMAND, large))),
        new Greeting("ü€ text", null),
        new Holder(List.of(1L, "two", new byte[] {3})));
  }

  /** A buffer whose position and array offset are not 0, as an envelope's payload is not at its start. */
  private static ByteBuffer buffer(boolean direct, int capacity) {
    ByteBuffer outer = direct ? ByteBuffer.allocateDirect(capacity + 16) : ByteBuffer.allocate(capacity + 16);
    outer.position(5);
    ByteBuffer slice = outer.slice();
    slice.position(3);
    return slice;
  }

  @Test
  void bufferAndArrayPathsWriteTheSameBytesAndReadEachOther() {
    // Artery writes into a buffer; the journal and serialize-messages use arrays. Each reads the other.
    for (boolean direct : new boolean[] {false, true}) {
      for (Object message : messages()) {
        byte[] bytes = codec.toBytes(message);
        ByteBuffer buffer = buffer(direct, 200_000);
        int start = buffer.position();
        codec.toBuffer(message, buffer);
        assertEquals(start + bytes.length, buffer.position(), "the position moves past the message");
        byte[] written = new byte[bytes.length];
        buffer.get(start, written);
        assertArrayEquals(bytes, written, "same bytes, " + message.getClass().getSimpleName());

        buffer.limit(buffer.position()).position(start);
        Object fromBuffer = codec.fromBuffer(buffer);
        assertEquals(buffer.limit(), buffer.position(), "the whole message is consumed");
        Object fromArray = codec.fromBytes(written);
        assertEquals(codec.toBytes(fromArray).length, codec.toBytes(fromBuffer).length);
        assertArrayEquals(bytes, codec.toBytes(fromBuffer), "read back from a buffer, written again, same bytes");

        ByteBuffer wrapped = buffer(direct, bytes.length);
        wrapped.put(bytes).flip().position(3);
        assertArrayEquals(bytes, codec.toBytes(codec.fromBuffer(wrapped)), "array bytes read from a buffer");
      }
    }
  }

  @Test
  void aMessageTooLargeForTheBufferFailsAsAnOverflowAndWritesNothing() {
    // Artery recognizes an oversized message by BufferOverflowException: it drops and logs it.
    RaftEvent event = new RaftEvent.EntriesAppended(List.of(new LogEntry(1, 1, LogEntry.Type.COMMAND, new byte[500])));
    int size = codec.toBytes(event).length;
    for (boolean direct : new boolean[] {false, true}) {
      ByteBuffer buffer = buffer(direct, size + 10);
      buffer.limit(buffer.position() + size - 1);
      int position = buffer.position();
      BufferOverflowException e = assertThrows(BufferOverflowException.class, () -> codec.toBuffer(event, buffer));
      assertTrue(e instanceof BufferTooSmallException);
      assertTrue(e.getMessage().contains(size + " bytes"), e.getMessage());
      assertTrue(e.getMessage().contains("maximum-frame-size"), e.getMessage());
      assertEquals(position, buffer.position(), "nothing written");
      for (int i = position; i < buffer.limit(); i++) assertEquals(0, buffer.get(i), "byte " + i + " untouched");
      // Exactly enough room is enough.
      buffer.limit(buffer.position() + size);
      codec.toBuffer(event, buffer);
      assertEquals(buffer.limit(), buffer.position());
    }
  }

  @Test
  void everyTruncationInABufferFailsAndLeavesThePosition() {
    byte[] bytes = codec.toBytes(messages().get(3));
    for (boolean direct : new boolean[] {false, true}) {
      for (int length = 0; length < bytes.length; length += length < 64 ? 1 : 997) {
        ByteBuffer buffer = buffer(direct, bytes.length);
        buffer.put(bytes, 0, length).flip().position(3);
        int finalLength = length;
        assertThrows(RaftSerializationException.class, () -> codec.fromBuffer(buffer), "prefix " + finalLength);
        assertEquals(3, buffer.position(), "position kept after a failure");
      }
    }
  }

  @Test
  void trailingBytesInABufferFail() {
    byte[] bytes = Arrays.copyOf(codec.toBytes(new Greeting("a", "b")), 20);
    for (boolean direct : new boolean[] {false, true}) {
      ByteBuffer buffer = buffer(direct, bytes.length);
      buffer.put(bytes).flip().position(3);
      RaftSerializationException e =
          assertThrows(RaftSerializationException.class, () -> codec.fromBuffer(buffer));
      assertTrue(e.getMessage().contains("left over"), e.getMessage());
    }
  }

  @Test
  void unserializableMessagesFailTheSameWayIntoABuffer() {
    // Failures other than size are the codec's usual RaftSerializationException, naming the class.
    ByteBuffer buffer = ByteBuffer.allocate(100);
    RaftSerializationException e =
        assertThrows(
            RaftSerializationException.class, () -> codec.toBuffer(new TestMessages.Unregistered(1), buffer));
    assertTrue(e.getMessage().contains(TestMessages.Unregistered.class.getName()), e.getMessage());
    assertEquals(0, buffer.position());
  }
}
