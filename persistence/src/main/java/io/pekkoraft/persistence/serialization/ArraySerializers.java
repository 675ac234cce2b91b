package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * Serializers for the arrays our messages carry ({@code byte[]} above all: every {@link
 * io.pekkoraft.persistence.LogEntry} payload). They write the length and the elements like Kryo's own,
 * but check a length read back against the bytes left ({@link SizeGuard}) before allocating.
 */
final class ArraySerializers {

  private ArraySerializers() {}

  /** Length, then the raw bytes. */
  static final class Bytes extends Serializer<byte[]> {
    @Override
    public void write(Kryo kryo, Output output, byte[] array) {
      output.writeVarInt(array.length, true);
      output.writeBytes(array);
    }

    @Override
    public byte[] read(Kryo kryo, Input input, Class<? extends byte[]> type) {
      return input.readBytes(SizeGuard.checkedSize(input, input.readVarInt(true), 1, "byte[]"));
    }
  }

  /** Length, then 8 bytes per element. */
  static final class Longs extends Serializer<long[]> {
    @Override
    public void write(Kryo kryo, Output output, long[] array) {
      output.writeVarInt(array.length, true);
      output.writeLongs(array, 0, array.length);
    }

    @Override
    public long[] read(Kryo kryo, Input input, Class<? extends long[]> type) {
      return input.readLongs(SizeGuard.checkedSize(input, input.readVarInt(true), 8, "long[]"));
    }
  }

  /** Length, then each string (Kryo's string encoding, which also carries null). */
  static final class Strings extends Serializer<String[]> {
    @Override
    public void write(Kryo kryo, Output output, String[] array) {
      output.writeVarInt(array.length, true);
      for (String s : array) output.writeString(s);
    }

    @Override
    public String[] read(Kryo kryo, Input input, Class<? extends String[]> type) {
      String[] array = new String[SizeGuard.checkedSize(input, input.readVarInt(true), 1, "String[]")];
      for (int i = 0; i < array.length; i++) array[i] = input.readString();
      return array;
    }
  }
}
