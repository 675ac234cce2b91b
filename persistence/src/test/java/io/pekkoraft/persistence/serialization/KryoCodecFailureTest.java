package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.serialization.TestMessages.Greeting;
import io.pekkoraft.persistence.serialization.TestMessages.Holder;
import io.pekkoraft.persistence.serialization.TestMessages.Unregistered;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class KryoCodecFailureTest {

  private final KryoCodec codec =
      KryoCodec.create(
          getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), new TestKryoRegistrar()));

  private final byte[] appended =
      codec.toBytes(
          new RaftEvent.EntriesAppended(
              List.of(LogEntry.noop(1, 1), new LogEntry(2, 1, LogEntry.Type.COMMAND, new byte[] {1, 2, 3}))));

  private static void assertNamesRegistration(RaftSerializationException e, String className) {
    assertTrue(e.getMessage().contains(className), e.getMessage());
    assertTrue(e.getMessage().contains("pekko-raft.serialization.registrars"), e.getMessage());
  }

  @Test
  void unregisteredClassIsNamed() {
    // Serializing a class no registrar registered fails with its name and where to register it.
    RaftSerializationException e =
        assertThrows(RaftSerializationException.class, () -> codec.toBytes(new Unregistered(1)));
    assertNamesRegistration(e, Unregistered.class.getName());
  }

  @Test
  void unregisteredClassInsideARecordIsNamed() {
    // The name is that of the unregistered class deep inside, not only that of the outer message.
    RaftSerializationException e =
        assertThrows(
            RaftSerializationException.class,
            () -> codec.toBytes(new Holder(List.of(new Unregistered(1)))));
    assertNamesRegistration(e, Unregistered.class.getName());
    RaftSerializationException e2 =
        assertThrows(RaftSerializationException.class, () -> codec.toBytes(new Holder(Arrays.asList(1, 2))));
    assertNamesRegistration(e2, "java.util.Arrays$ArrayList");
  }

  @Test
  void nullElementsAreRefused() {
    // A collection with a null element fails when written, instead of arriving as something else.
    List<Object> withNull = new ArrayList<>();
    withNull.add(null);
    RaftSerializationException e =
        assertThrows(RaftSerializationException.class, () -> codec.toBytes(new Holder(withNull)));
    assertTrue(e.getMessage().contains("null element"), e.getMessage());
  }

  @Test
  void everyTruncationFails() {
    // No prefix of a valid message decodes: each fails with a RaftSerializationException.
    for (int length = 0; length < appended.length; length++) {
      byte[] prefix = Arrays.copyOf(appended, length);
      assertThrows(RaftSerializationException.class, () -> codec.fromBytes(prefix), "prefix " + length);
    }
  }

  @Test
  void trailingBytesFail() {
    // Bytes after a complete message mean the input is not what was written, so it is refused.
    byte[] longer = Arrays.copyOf(appended, appended.length + 1);
    RaftSerializationException e =
        assertThrows(RaftSerializationException.class, () -> codec.fromBytes(longer));
    assertTrue(e.getMessage().contains("left over"), e.getMessage());
  }

  @Test
  void garbageFailsWithoutHugeAllocations() {
    // Unknown class ids and impossible lengths fail clearly instead of allocating gigabytes.
    byte[] unknownClassId = {(byte) 0xF0, 0x3F};
    byte[] hugeByteArray = withLengthMax(codec.toBytes(new byte[0]));
    byte[] hugeList = withLengthMax(codec.toBytes(List.of()));
    byte[] hugeMap = withLengthMax(codec.toBytes(new HashMap<>()));
    for (byte[] garbage : List.of(unknownClassId, hugeByteArray, hugeList, hugeMap, new byte[] {0})) {
      RaftSerializationException e =
          assertThrows(RaftSerializationException.class, () -> codec.fromBytes(garbage));
      assertTrue(e.getMessage().startsWith("Cannot deserialize"), e.getMessage());
    }
  }

  /** An empty array or collection whose length (the last byte, 0) claims Integer.MAX_VALUE instead. */
  private static byte[] withLengthMax(byte[] empty) {
    assertEquals(0, empty[empty.length - 1]);
    byte[] huge = Arrays.copyOf(empty, empty.length + 4);
    byte[] varIntMax = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    System.arraycopy(varIntMax, 0, huge, empty.length - 1, varIntMax.length);
    return huge;
  }

  @Test
  void aLogEntryThatBreaksItsInvariantFails() {
    // The record's canonical constructor runs on read, so a corrupt index (0) is refused, not returned.
    byte[] valid = codec.toBytes(LogEntry.noop(1, 1));
    // Class id 100 (+2), then LogEntrySerializer's layout: index and term (unsigned varints), the type's
    // ordinal, the payload's length (0) and bytes. A change here breaks every stored journal.
    assertArrayEquals(new byte[] {102, 1, 1, 0, 0}, valid);
    byte[] zeroIndex = valid.clone();
    zeroIndex[1] = 0;
    RaftSerializationException e =
        assertThrows(RaftSerializationException.class, () -> codec.fromBytes(zeroIndex));
    assertTrue(e.getMessage().contains("log index starts at 1"), e.getMessage());
  }

  @Test
  void wrongExpectedClassFails() {
    // Asking for one class and finding another is an IllegalArgumentException naming both.
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> codec.fromBytes(appended, RaftEvent.TermAdvanced.class));
    assertTrue(e.getMessage().contains("TermAdvanced"), e.getMessage());
    assertTrue(e.getMessage().contains("EntriesAppended"), e.getMessage());
    assertEquals(Greeting.class, codec.fromBytes(codec.toBytes(new Greeting("a", "b")), Object.class).getClass());
  }

  @Test
  void conflictingIdsFailWhenTheCodecIsBuilt() {
    // A registrar that takes an id already in use fails at once, not at the first message.
    KryoRegistrar clash = kryo -> kryo.register(Unregistered.class, 100);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> KryoCodec.create(getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), clash)));
    assertTrue(e.getMessage().contains("100"), e.getMessage());
    assertTrue(e.getMessage().contains(LogEntry.class.getName()), e.getMessage());
    KryoRegistrar moved = kryo -> kryo.register(LogEntry.class, 1100);
    assertThrows(
        IllegalStateException.class,
        () -> KryoCodec.create(getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), moved)));
  }
}
