package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the Raft log: its position, the term in which a leader created it, what kind of entry it
 * is, and its payload. The payload is opaque here: a serialized client command, an encoded cluster
 * configuration, or empty for a no-op. It is serialized once, when the leader creates the entry, and
 * travels as bytes from then on (to the journal and to every follower).
 */
public record LogEntry(long index, long term, Type type, byte[] data) implements RaftSerializable {

  /** What an entry carries. */
  public enum Type {
    /** Appended by every new leader at the start of its term, so that earlier entries can commit (§5.4.2, §8). */
    NOOP,
    /** A client command for the state machine. */
    COMMAND,
    /** A cluster configuration; it takes effect when appended, not when committed (§4.1 of the thesis). */
    CONFIGURATION
  }

  private static final byte[] EMPTY = new byte[0];

  public LogEntry {
    if (index < 1) throw new IllegalArgumentException("log index starts at 1, got " + index);
    if (term < 1) throw new IllegalArgumentException("entry term starts at 1, got " + term);
    Objects.requireNonNull(type, "type");
    if (data == null) data = EMPTY;
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
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, term, type, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
  }
}
