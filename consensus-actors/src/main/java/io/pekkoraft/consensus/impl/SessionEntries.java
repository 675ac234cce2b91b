package io.pekkoraft.consensus.impl;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.persistence.LogEntry;
import java.util.Arrays;

/**
 * The payloads of the session entries of the log ({@code LogEntry.Type.SESSION_*}), as variable length longs:
 * <ul>
 *   <li>{@code SESSION_OPEN}: the session's limits, as the leader that appended it was configured (ttl in ms,
 *       max-sessions, max-cached-results-per-session), so every replica applies the same limits;
 *   <li>{@code SESSION_COMMAND}: session id, sequence, acknowledged sequence, then the command's bytes;
 *   <li>{@code SESSION_KEEP_ALIVE}: the session id.
 * </ul>
 */
final class SessionEntries {

  private SessionEntries() {}

  /** The limits a session was opened with. */
  record Limits(long ttlMs, int sessionsMax, int cachedResultsMax) {}

  /** A command in a session. */
  record SessionCommand(long sessionId, long sequence, long ackedSequence, byte[] command) {}

  /** The entry that a leader appends at {@code index} for {@code c}. */
  static LogEntry entryFor(ClientRequest.ClientCommand c, long index, long term, SessionSettings settings) {
    if (c.sessionId() == 0) return new LogEntry(index, term, LogEntry.Type.COMMAND, c.command());
    Output out = new Output(32 + (c.hasCommand() ? c.command().length : 0));
    if (c.opensSession()) {
      out.writeVarLong(settings.ttl().toMillis(), true);
      out.writeVarInt(settings.sessionsMax(), true);
      out.writeVarInt(settings.cachedResultsMax(), true);
      return new LogEntry(index, term, LogEntry.Type.SESSION_OPEN, out.toBytes());
    }
    out.writeVarLong(c.sessionId(), true);
    if (c.isKeepAlive()) return new LogEntry(index, term, LogEntry.Type.SESSION_KEEP_ALIVE, out.toBytes());
    out.writeVarLong(c.sequence(), true);
    out.writeVarLong(c.ackedSequence(), true);
    out.writeBytes(c.command());
    return new LogEntry(index, term, LogEntry.Type.SESSION_COMMAND, out.toBytes());
  }

  static Limits limits(LogEntry e) {
    Input in = input(e, LogEntry.Type.SESSION_OPEN);
    return new Limits(in.readVarLong(true), in.readVarInt(true), in.readVarInt(true));
  }

  static long keptAlive(LogEntry e) {
    return input(e, LogEntry.Type.SESSION_KEEP_ALIVE).readVarLong(true);
  }

  static SessionCommand command(LogEntry e) {
    Input in = input(e, LogEntry.Type.SESSION_COMMAND);
    long session = in.readVarLong(true);
    long sequence = in.readVarLong(true);
    long acked = in.readVarLong(true);
    return new SessionCommand(session, sequence, acked, Arrays.copyOfRange(e.data(), in.position(), e.data().length));
  }

  private static Input input(LogEntry e, LogEntry.Type expected) {
    if (e.type() != expected) throw new IllegalArgumentException(e + " is not a " + expected + " entry");
    return new Input(e.data());
  }
}
