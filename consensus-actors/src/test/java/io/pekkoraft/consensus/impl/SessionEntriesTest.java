package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.persistence.LogEntry;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A session command's entry is written and read by hand on every command's path, and must stay the bytes the
 * journals already hold: Kryo's variable length longs (session, sequence, acknowledged), then the command.
 */
class SessionEntriesTest {

  private static final long[] VALUES = {0, 1, 127, 128, 16_383, 16_384, 1L << 21, (1L << 28) - 1, 1L << 35,
      (1L << 42) + 5, (1L << 49) - 1, 1L << 56, (1L << 56) - 1, (1L << 63) - 1, Long.MAX_VALUE, -1, Long.MIN_VALUE};

  @Test
  void aSessionCommandIsWrittenAsKryoWritesItAndReadBackInPlace() {
    byte[] command = {9, 8, 7, 6, 5};
    for (long session : VALUES) {
      for (long sequence : VALUES) {
        long acked = sequence == Long.MIN_VALUE ? 3 : sequence >>> 1;
        Output kryo = new Output(64);
        kryo.writeVarLong(session, true);
        kryo.writeVarLong(sequence, true);
        kryo.writeVarLong(acked, true);
        kryo.writeBytes(command);
        byte[] written = SessionEntries.commandData(session, sequence, acked, command);
        assertArrayEquals(kryo.toBytes(), written, "session " + session + ", sequence " + sequence);

        SessionEntries.SessionCommand read =
            SessionEntries.command(new LogEntry(7, 2, LogEntry.Type.SESSION_COMMAND, written));
        assertEquals(session, read.sessionId());
        assertEquals(sequence, read.sequence());
        assertEquals(acked, read.ackedSequence());
        ByteBuffer bytes = read.command();
        byte[] back = new byte[bytes.remaining()];
        bytes.get(back);
        assertArrayEquals(command, back);
      }
    }
  }

  @Test
  void kryoReadsTheNumbersWrittenByHand() {
    for (long value : VALUES) {
      byte[] into = new byte[9];
      int end = SessionEntries.writeVarLong(into, 0, value);
      assertEquals(SessionEntries.varLongBytes(value), end, "length of " + value);
      assertEquals(value, new Input(into, 0, end).readVarLong(true));
    }
  }

  @Test
  void anEntryEndingInsideItsNumbersIsRefused() {
    byte[] whole = SessionEntries.commandData(300, 70_000, 69_999, new byte[0]);
    LogEntry cut = new LogEntry(7, 2, LogEntry.Type.SESSION_COMMAND, Arrays.copyOf(whole, whole.length - 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionEntries.command(cut));
    assertEquals("a session entry ends inside a number", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> SessionEntries.command(new LogEntry(7, 2, LogEntry.Type.COMMAND, whole)));
  }
}
