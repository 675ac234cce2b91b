package io.pekkoraft.persistence.serialization;

/**
 * Marker for every message and event that crosses a node boundary or reaches a journal. Classes that
 * implement it are bound to the Kryo serializer in {@code reference.conf}; each one must also be
 * registered by a {@link KryoRegistrar}, because the serializer requires registration.
 */
public interface RaftSerializable {}
