package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.persistence.LogEntry;

/**
 * The most frequent object on the wire and in the journal, written by hand: index and term as variable
 * length longs, the type as one byte, then the payload's length and bytes. Kryo's record serializer would
 * reach every component through reflection, for every entry of every batch.
 */
final class LogEntrySerializer extends Serializer<LogEntry> {

  private static final LogEntry.Type[] TYPES = LogEntry.Type.values();

  LogEntrySerializer() {
    setImmutable(true);
  }

  @Override
  public void write(Kryo kryo, Output output, LogEntry entry) {
    output.writeVarLong(entry.index(), true);
    output.writeVarLong(entry.term(), true);
    output.writeByte(entry.type().ordinal());
    byte[] data = entry.data();
    output.writeVarInt(data.length, true);
    output.writeBytes(data);
  }

  @Override
  public LogEntry read(Kryo kryo, Input input, Class<? extends LogEntry> type) {
    long index = input.readVarLong(true);
    long term = input.readVarLong(true);
    int ordinal = input.readByte();
    if (ordinal < 0 || ordinal >= TYPES.length) throw new KryoException("unknown log entry type " + ordinal);
    byte[] data = input.readBytes(SizeGuard.checkedSize(input, input.readVarInt(true), 1, "log entry payload"));
    try {
      return new LogEntry(index, term, TYPES[ordinal], data);
    } catch (IllegalArgumentException e) {
      throw new KryoException("not a log entry: " + e.getMessage(), e);
    }
  }
}
