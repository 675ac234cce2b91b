package io.pekkoraft.consensus.behavior;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.consensus.StoredSnapshot;
import io.pekkoraft.consensus.behavior.EntityMessages.CallerSnapshot;
import io.pekkoraft.consensus.behavior.EntityMessages.StoreSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The layout of an {@link StoreSnapshot} in a snapshot file: a version, the callers, the number of entities,
 * then one record per entity in id order: id, sequence number, the length of the state's bytes and the
 * bytes (Kryo, class first). Reading a file keeps the ids, sequence numbers and record offsets (counted from
 * the start of the state's bytes, as {@link StoredSnapshot#openState} streams them) and skips every state;
 * {@link #readState} reads one. Writing copies the records of entities not in memory from the previous file,
 * in one pass over it (records are in id order in both).
 */
final class StoreSnapshotSerializer extends Serializer<StoreSnapshot> {

  private static final int VERSION = 2;

  @Override
  public void write(Kryo kryo, Output out, StoreSnapshot s) {
    out.writeVarInt(VERSION, true);
    out.writeVarInt(s.callers.size(), true);
    for (CallerSnapshot c : s.callers) kryo.writeObject(out, c);
    int n = s.entityIds.size();
    out.writeVarInt(n, true);
    Output state = new Output(1024, -1);
    Input carried = null;
    try {
      for (int i = 0; i < n; i++) {
        String id = s.entityIds.get(i);
        s.written[i] = out.total();
        out.writeString(id);
        out.writeVarLong(s.seqNrs[i], true);
        Object inMemory = s.states.get(i);
        byte[] bytes;
        int length;
        if (inMemory != null) {
          state.reset();
          kryo.writeClassAndObject(state, inMemory);
          bytes = state.getBuffer();
          length = state.position();
        } else {
          if (s.source == null) throw new IllegalStateException("entity " + id + " has no state in memory and no snapshot to copy it from");
          if (carried == null) carried = new Input(s.source.openState(), 64 * 1024);
          bytes = readRecord(carried, s.offsets[i], id, s.seqNrs[i], s.source);
          length = bytes.length;
        }
        out.writeVarInt(length, true);
        out.writeBytes(bytes, 0, length);
      }
    } finally {
      if (carried != null) carried.close();
    }
  }

  @Override
  public StoreSnapshot read(Kryo kryo, Input in, Class<? extends StoreSnapshot> type) {
    int version = in.readVarInt(true);
    if (version != VERSION) throw new IllegalStateException("entity store snapshot version " + version + ", expected " + VERSION);
    int callers = in.readVarInt(true);
    List<CallerSnapshot> cs = new ArrayList<>(callers);
    for (int i = 0; i < callers; i++) cs.add(kryo.readObject(in, CallerSnapshot.class));
    int n = in.readVarInt(true);
    List<String> ids = new ArrayList<>(n);
    long[] seqNrs = new long[n];
    long[] offsets = new long[n];
    for (int i = 0; i < n; i++) {
      offsets[i] = in.total();
      ids.add(in.readString());
      seqNrs[i] = in.readVarLong(true);
      int length = in.readVarInt(true);
      in.skip(length); // the state stays on disk
    }
    return new StoreSnapshot(ids, seqNrs, Collections.nCopies(n, null), offsets, cs, null);
  }

  /** The state of {@code entityId} in the snapshot {@code source}, its record at {@code offset}: one record read. */
  static Object readState(StoredSnapshot source, long offset, String entityId, long seqNr) {
    try (Input in = new Input(source.openState(), 64 * 1024)) {
      return source.decode(readRecord(in, offset, entityId, seqNr, source));
    }
  }

  /** The state bytes of the record at {@code offset} of a stream positioned at or before it; checks whose it is. */
  private static byte[] readRecord(Input in, long offset, String entityId, long seqNr, StoredSnapshot source) {
    long gap = offset - in.total();
    if (gap < 0) {
      throw new IllegalStateException("snapshot " + source + ": the record of " + entityId + " at " + offset
          + " is behind the read position " + in.total() + " (records not in id order)");
    }
    in.skip(gap);
    String id = in.readString();
    long nr = in.readVarLong(true);
    if (!entityId.equals(id) || nr != seqNr) {
      throw new IllegalStateException("snapshot " + source + " holds " + id + "@" + nr + " at offset " + offset
          + ", where the entity store expects " + entityId + "@" + seqNr);
    }
    return in.readBytes(in.readVarInt(true));
  }
}
