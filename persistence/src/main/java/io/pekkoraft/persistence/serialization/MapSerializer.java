package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a map as its size and then each key and value with their classes, for the same reason as
 * {@link ListSerializer}: Kryo cannot rebuild the JDK's immutable maps ({@code Map.of}, {@code
 * Map.copyOf}). Reads back an immutable map or a {@link HashMap}, whichever class it was registered for.
 *
 * <p>As with {@link SetSerializer}, the bytes follow an iteration order that differs between JVMs:
 * compare the objects, never the bytes. Null keys or values are refused; a repeated key read back means
 * corrupt bytes and fails.
 */
final class MapSerializer extends Serializer<Map<?, ?>> {

  private final boolean mutable;

  private MapSerializer(boolean mutable) {
    this.mutable = mutable;
  }

  /** For the {@code java.util.ImmutableCollections} map classes. */
  static MapSerializer immutable() {
    return new MapSerializer(false);
  }

  /** For {@link HashMap}. */
  static MapSerializer hashMap() {
    return new MapSerializer(true);
  }

  @Override
  public void write(Kryo kryo, Output output, Map<?, ?> map) {
    output.writeVarInt(map.size(), true);
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (entry.getKey() == null || entry.getValue() == null) {
        throw new KryoException(
            "null key or value in a " + map.getClass().getName() + ": not allowed in messages");
      }
      kryo.writeClassAndObject(output, entry.getKey());
      kryo.writeClassAndObject(output, entry.getValue());
    }
  }

  @Override
  public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
    int size = SizeGuard.checkedSize(input, input.readVarInt(true), 2, "map");
    Map<Object, Object> map = new HashMap<>();
    for (int i = 0; i < size; i++) {
      Object key = kryo.readClassAndObject(input);
      Object value = kryo.readClassAndObject(input);
      if (key == null || value == null) throw new KryoException("null map key or value: the bytes are corrupt");
      if (map.put(key, value) != null) throw new KryoException("repeated map key: the bytes are corrupt");
    }
    return mutable ? map : Map.copyOf(map);
  }
}
