package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a list as its size and then each element with its class. Kryo's own CollectionSerializer
 * cannot rebuild the JDK's immutable lists ({@code List.of}, {@code List.copyOf}, {@code
 * Stream.toList}): they have no no-arg constructor and Java 17 closes their fields to reflection.
 *
 * <p>One instance reads back either an immutable list ({@code List.copyOf} semantics) or an {@link
 * ArrayList}, whichever class it was registered for. Null elements are refused on both sides: our
 * messages never carry them, and a null read back can only mean corrupt bytes.
 */
final class ListSerializer extends Serializer<List<?>> {

  private final boolean mutable;

  private ListSerializer(boolean mutable) {
    this.mutable = mutable;
  }

  /** For the {@code java.util.ImmutableCollections} list classes. */
  static ListSerializer immutable() {
    return new ListSerializer(false);
  }

  /** For {@link ArrayList}. */
  static ListSerializer arrayList() {
    return new ListSerializer(true);
  }

  @Override
  public void write(Kryo kryo, Output output, List<?> list) {
    output.writeVarInt(list.size(), true);
    for (Object element : list) {
      if (element == null) {
        throw new KryoException("null element in a " + list.getClass().getName() + ": not allowed in messages");
      }
      kryo.writeClassAndObject(output, element);
    }
  }

  @Override
  public List<?> read(Kryo kryo, Input input, Class<? extends List<?>> type) {
    Object[] elements = new Object[SizeGuard.checkedSize(input, input.readVarInt(true), 1, "list")];
    for (int i = 0; i < elements.length; i++) {
      elements[i] = kryo.readClassAndObject(input);
      if (elements[i] == null) throw new KryoException("null list element: the bytes are corrupt");
    }
    return mutable ? new ArrayList<>(Arrays.asList(elements)) : List.of(elements);
  }
}
