package io.pekkoraft.consensus;

import java.io.InputStream;

/**
 * A snapshot of this member's state machine as stored in its file, to read parts of it back later: a state
 * machine that keeps part of its state on disk only (the entity store of replicated behaviors, which takes
 * idle entities' states out of memory) reads them from here instead of holding them. The file stays until a
 * snapshot after the next one is stored, so this handle is good until the state machine is told of the
 * snapshot after it ({@link StateMachine#snapshotStored}, {@link StateMachine#restore(Object, StoredSnapshot)}).
 */
public interface StoredSnapshot {

  /** The index of the last entry the snapshot covers. */
  long index();

  /** The term of that entry. */
  long term();

  /**
   * The state as {@link StateMachine#snapshot} returned it, serialized (Kryo, its class first, through
   * its serializer), decompressed and read from the start; the caller closes it. Blocking file I/O: an
   * open stream stays readable after the file is deleted. A missing or damaged file throws
   * {@code IllegalStateException} naming it.
   */
  InputStream openState();

  /** The object that this group's Kryo codec wrote into {@code bytes} (its class first, as {@code writeClassAndObject}). */
  Object decode(byte[] bytes);
}
