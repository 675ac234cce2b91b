package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.RaftLogSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;

/**
 * Ids 100-189: the journal events and log entries of this module, and the JDK types that messages of
 * every module use. Listed first in {@code pekko-raft.serialization.registrars}.
 *
 * <p>These ids are written into every journal: never renumber one, never reuse a retired one. Records
 * go through Kryo's RecordSerializer, which writes components sorted by name (renaming or adding a
 * component changes the format); enums are written by ordinal (reordering constants changes it).
 */
public final class PersistenceKryoRegistrar implements KryoRegistrar {

  public PersistenceKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    // Journal events and the log: 100-119.
    kryo.register(LogEntry.class, new LogEntrySerializer(), 100);
    kryo.register(LogEntry.Type.class, 101);
    kryo.register(RaftEvent.TermAdvanced.class, 102);
    kryo.register(RaftEvent.VoteCast.class, 103);
    kryo.register(RaftEvent.EntriesAppended.class, 104);
    kryo.register(RaftEvent.EntriesTruncated.class, 105);
    kryo.register(RaftEvent.SnapshotStored.class, 106);
    kryo.register(RaftLogSnapshot.class, 107);
    kryo.register(RaftEvent.ReplicaIdCreated.class, 108);

    // Arrays: 120-129.
    kryo.register(byte[].class, new ArraySerializers.Bytes(), 120);
    kryo.register(long[].class, new ArraySerializers.Longs(), 121);
    kryo.register(String[].class, new ArraySerializers.Strings(), 122);

    // Collections: 130-149. List.of, List.copyOf and Stream.toList all return List12 or ListN (and
    // likewise for maps and sets); those classes are JDK-internal, hence looked up by name.
    kryo.register(ArrayList.class, ListSerializer.arrayList(), 130);
    kryo.register(jdkClass("java.util.ImmutableCollections$List12"), ListSerializer.immutable(), 131);
    kryo.register(jdkClass("java.util.ImmutableCollections$ListN"), ListSerializer.immutable(), 132);
    kryo.register(HashMap.class, MapSerializer.hashMap(), 133);
    kryo.register(jdkClass("java.util.ImmutableCollections$Map1"), MapSerializer.immutable(), 134);
    kryo.register(jdkClass("java.util.ImmutableCollections$MapN"), MapSerializer.immutable(), 135);
    kryo.register(HashSet.class, SetSerializer.hashSet(), 136);
    kryo.register(jdkClass("java.util.ImmutableCollections$Set12"), SetSerializer.immutable(), 137);
    kryo.register(jdkClass("java.util.ImmutableCollections$SetN"), SetSerializer.immutable(), 138);
    // subList() of an immutable list; read back as an ordinary immutable list.
    kryo.register(jdkClass("java.util.ImmutableCollections$SubList"), ListSerializer.immutable(), 139);
  }

  /** A JDK class by name; a JDK that renamed it must fail here, not at the first message. */
  private static Class<?> jdkClass(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(name + " not found: this JDK's immutable collections differ from Java 17's", e);
    }
  }
}
