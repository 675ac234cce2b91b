package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes a set as its size and then each element with its class, for the same reason as {@link
 * ListSerializer}: Kryo cannot rebuild the JDK's immutable sets ({@code Set.of}, {@code Set.copyOf}).
 * Reads back an immutable set or a {@link HashSet}, whichever class it was registered for.
 *
 * <p>The bytes follow iteration order, and the iteration order of an immutable set differs from one
 * JVM to the next. Two nodes therefore write equal sets as different bytes: compare the objects, never
 * the bytes. Duplicates read back mean corrupt bytes and fail.
 */
final class SetSerializer extends Serializer<Set<?>> {

  private final boolean mutable;

  private SetSerializer(boolean mutable) {
    this.mutable = mutable;
  }

  /** For the {@code java.util.ImmutableCollections} set classes. */
  static SetSerializer immutable() {
    return new SetSerializer(false);
  }

  /** For {@link HashSet}. */
  static SetSerializer hashSet() {
    return new SetSerializer(true);
  }

  @Override
  public void write(Kryo kryo, Output output, Set<?> set) {
    output.writeVarInt(set.size(), true);
    for (Object element : set) {
      if (element == null) {
        throw new KryoException("null element in a " + set.getClass().getName() + ": not allowed in messages");
      }
      kryo.writeClassAndObject(output, element);
    }
  }

  @Override
  public Set<?> read(Kryo kryo, Input input, Class<? extends Set<?>> type) {
    Object[] elements = new Object[SizeGuard.checkedSize(input, input.readVarInt(true), 1, "set")];
    for (int i = 0; i < elements.length; i++) {
      elements[i] = kryo.readClassAndObject(input);
      if (elements[i] == null) throw new KryoException("null set element: the bytes are corrupt");
    }
    Set<Object> set = new HashSet<>(Arrays.asList(elements));
    if (set.size() != elements.length) throw new KryoException("duplicate set element: the bytes are corrupt");
    return mutable ? set : Set.copyOf(set);
  }
}
