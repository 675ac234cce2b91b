package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.persistence.LogEntry;

/**
 * The most frequent object on the wire and in the journal, written by hand: index and term as variable
 * length longs, the type as one byte (with {@code TIMED} set when the entry has a log time, which then
 * follows as a variable length long), then the payload's length and bytes. An entry without time is written
 * as before log time existed, so journals written then still read. Kryo's record serializer would
 * reach every component through reflection, for every entry of every batch.
 */
final class LogEntrySerializer extends Serializer<LogEntry> {

  private static final LogEntry.Type[] TYPES = LogEntry.Type.values();
  /** Set in the type byte when a log time follows it. */
  private static final int TIMED = 0x40;

  LogEntrySerializer() {
    setImmutable(true);
  }

  @Override
  public void write(Kryo kryo, Output output, LogEntry entry) {
    output.writeVarLong(entry.index(), true);
    output.writeVarLong(entry.term(), true);
    if (entry.time() == 0) {
      output.writeByte(entry.type().ordinal());
    } else {
      output.writeByte(entry.type().ordinal() | TIMED);
      output.writeVarLong(entry.time(), true);
    }
    byte[] data = entry.data();
    output.writeVarInt(data.length, true);
    output.writeBytes(data);
  }

  @Override
  public LogEntry read(Kryo kryo, Input input, Class<? extends LogEntry> type) {
    long index = input.readVarLong(true);
    long term = input.readVarLong(true);
    int typeByte = input.readByte();
    int ordinal = typeByte & ~TIMED;
    long time = (typeByte & TIMED) != 0 ? input.readVarLong(true) : 0;
    if (ordinal < 0 || ordinal >= TYPES.length) throw new KryoException("unknown log entry type " + ordinal);
    byte[] data = input.readBytes(SizeGuard.checkedSize(input, input.readVarInt(true), 1, "log entry payload"));
    try {
      return new LogEntry(index, term, TYPES[ordinal], data, time);
    } catch (IllegalArgumentException e) {
      throw new KryoException("not a log entry: " + e.getMessage(), e);
    }
  }
}
