package io.pekkoraft.consensus.impl;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.persistence.LogEntry;
import java.nio.ByteBuffer;

/**
 * The payloads of the session entries of the log ({@code LogEntry.Type.SESSION_*}), as variable length longs:
 * <ul>
 *   <li>{@code SESSION_OPEN}: the session's limits, as the leader that appended it was configured (ttl in ms,
 *       max-sessions, max-cached-results-per-session), so every replica applies the same limits;
 *   <li>{@code SESSION_COMMAND}: session id, sequence, acknowledged sequence, then the command's bytes;
 *   <li>{@code SESSION_KEEP_ALIVE}: the session id.
 * </ul>
 * The variable length longs are Kryo's ({@code Output.writeVarLong(value, true)}). A session command is
 * written and read on every command's path (by the leader, and by every replica's state machine runner): into
 * one array of its exact size, and read without copying the command's bytes out of the entry.
 */
final class SessionEntries {

  private SessionEntries() {}

  /** The limits a session was opened with. */
  record Limits(long ttlMs, int sessionsMax, int cachedResultsMax) {}

  /** A command in a session: its bytes are those of {@code data} from {@code commandOffset} to the end. */
  record SessionCommand(long sessionId, long sequence, long ackedSequence, byte[] data, int commandOffset) {
    /** The command's bytes, in place (no copy): a view of the entry's data, not to be written to. */
    ByteBuffer command() {
      return ByteBuffer.wrap(data, commandOffset, data.length - commandOffset);
    }
  }

  /** The entry that a leader appends at {@code index} for {@code c}. */
  static LogEntry entryFor(ClientRequest.ClientCommand c, long index, long term, SessionSettings settings) {
    if (c.sessionId() == 0) return new LogEntry(index, term, LogEntry.Type.COMMAND, c.command());
    if (!c.opensSession() && !c.isKeepAlive()) {
      return new LogEntry(index, term, LogEntry.Type.SESSION_COMMAND,
          commandData(c.sessionId(), c.sequence(), c.ackedSequence(), c.command()));
    }
    Output out = new Output(32);
    if (c.opensSession()) {
      out.writeVarLong(settings.ttl().toMillis(), true);
      out.writeVarInt(settings.sessionsMax(), true);
      out.writeVarInt(settings.cachedResultsMax(), true);
      return new LogEntry(index, term, LogEntry.Type.SESSION_OPEN, out.toBytes());
    }
    out.writeVarLong(c.sessionId(), true);
    return new LogEntry(index, term, LogEntry.Type.SESSION_KEEP_ALIVE, out.toBytes());
  }

  /** A session command's payload, in one array of its exact size: the same bytes as Kryo's Output writes. */
  static byte[] commandData(long sessionId, long sequence, long ackedSequence, byte[] command) {
    int header = varLongBytes(sessionId) + varLongBytes(sequence) + varLongBytes(ackedSequence);
    byte[] data = new byte[header + command.length];
    int at = writeVarLong(data, 0, sessionId);
    at = writeVarLong(data, at, sequence);
    at = writeVarLong(data, at, ackedSequence);
    System.arraycopy(command, 0, data, at, command.length);
    return data;
  }

  static Limits limits(LogEntry e) {
    Input in = input(e, LogEntry.Type.SESSION_OPEN);
    return new Limits(in.readVarLong(true), in.readVarInt(true), in.readVarInt(true));
  }

  static long keptAlive(LogEntry e) {
    return input(e, LogEntry.Type.SESSION_KEEP_ALIVE).readVarLong(true);
  }

  static SessionCommand command(LogEntry e) {
    if (e.type() != LogEntry.Type.SESSION_COMMAND) {
      throw new IllegalArgumentException(e + " is not a " + LogEntry.Type.SESSION_COMMAND + " entry");
    }
    byte[] data = e.data();
    long[] read = new long[1];
    int at = readVarLong(data, 0, read);
    long session = read[0];
    at = readVarLong(data, at, read);
    long sequence = read[0];
    at = readVarLong(data, at, read);
    return new SessionCommand(session, sequence, read[0], data, at);
  }

  // ---- Kryo's variable length longs (optimizePositive = true): 7 bits a byte, low first, the 9th byte 8 bits ----

  static int varLongBytes(long value) {
    for (int n = 1; n < 9; n++) {
      if (value >>> (7 * n) == 0) return n;
    }
    return 9;
  }

  /** Writes {@code value} at {@code at}; returns the index after it. */
  static int writeVarLong(byte[] into, int at, long value) {
    for (int n = 1; n < 9; n++) {
      if (value >>> 7 == 0) {
        into[at++] = (byte) value;
        return at;
      }
      into[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    into[at++] = (byte) value;
    return at;
  }

  /** Reads a value at {@code at} into {@code value[0]}; returns the index after it. */
  static int readVarLong(byte[] from, int at, long[] value) {
    long result = 0;
    for (int shift = 0; shift < 56; shift += 7) {
      if (at >= from.length) throw new IllegalArgumentException("a session entry ends inside a number");
      byte b = from[at++];
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        value[0] = result;
        return at;
      }
    }
    if (at >= from.length) throw new IllegalArgumentException("a session entry ends inside a number");
    value[0] = result | (long) (from[at++] & 0xFF) << 56;
    return at;
  }

  private static Input input(LogEntry e, LogEntry.Type expected) {
    if (e.type() != expected) throw new IllegalArgumentException(e + " is not a " + expected + " entry");
    return new Input(e.data());
  }
}
