package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the Raft log: its position, the term in which a leader created it, what kind of entry it
 * is, and its payload. The payload is opaque here: a serialized client command, an encoded cluster
 * configuration, or empty for a no-op. It is serialized once, when the leader creates the entry, and
 * travels as bytes from then on (to the journal and to every follower).
 *
 * <p>{@code time} is the entry's log time: milliseconds the leader that created it stamped on it, from
 * its wall clock but never less than the time of the entry before it, so it never goes backwards along
 * the log. Every replica sees the same time for the same entry; client sessions expire by it (never by a
 * node's own clock). 0 means not stamped (entries written before log time existed).
 */
public record LogEntry(long index, long term, Type type, byte[] data, long time) implements RaftSerializable {

  /** What an entry carries. */
  public enum Type {
    /** Appended by every new leader at the start of its term, so that earlier entries can commit (§5.4.2, §8). */
    NOOP,
    /** A client command for the state machine. */
    COMMAND,
    /** A cluster configuration; it takes effect when appended, not when committed (§4.1 of the thesis). */
    CONFIGURATION,
    /** Opens a client session; its index is the session's id. The payload holds the session's limits. */
    SESSION_OPEN,
    /** A client command inside a session: a header (session, sequence, acknowledged sequence), then the command. */
    SESSION_COMMAND,
    /** Keeps a client session without commands alive; the payload holds the session id. */
    SESSION_KEEP_ALIVE
  }

  private static final byte[] EMPTY = new byte[0];

  public LogEntry {
    if (index < 1) throw new IllegalArgumentException("log index starts at 1, got " + index);
    if (term < 1) throw new IllegalArgumentException("entry term starts at 1, got " + term);
    Objects.requireNonNull(type, "type");
    if (data == null) data = EMPTY;
    if (time < 0) throw new IllegalArgumentException("entry time is never negative, got " + time);
  }

  /** An entry without log time (0). */
  public LogEntry(long index, long term, Type type, byte[] data) {
    this(index, term, type, data, 0);
  }

  /** This entry stamped with log time {@code time}. */
  public LogEntry withTime(long time) {
    return new LogEntry(index, term, type, data, time);
  }

  public static LogEntry noop(long index, long term) {
    return new LogEntry(index, term, Type.NOOP, EMPTY);
  }

  /** Payload size in bytes, used to bound batches. */
  public int sizeBytes() {
    return data.length + 24;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogEntry e
        && e.index == index
        && e.term == term
        && e.type == type
        && e.time == time
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, term, type, time, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
  }
}
