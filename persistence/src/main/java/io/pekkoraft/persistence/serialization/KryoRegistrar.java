package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;

/**
 * Registers the classes a module sends or persists, each with an explicit Kryo id.
 *
 * <p>Kryo writes the id, not the class name, so every node must map every id to the same class: an id
 * given twice, or a class that moves to another id, makes nodes misread each other and makes old
 * journal events unreadable. Ids are therefore written down, never left to registration order, and an
 * id once released is never reused for another class. The ranges:
 *
 * <ul>
 *   <li>0-99: Kryo's own defaults (primitives, {@code String}); do not use.
 *   <li>100-199: the persistence module ({@link PersistenceKryoRegistrar}; 190-199 are typed ActorRefs,
 *       registered by {@link KryoCodec}).
 *   <li>200-499: the consensus module.
 *   <li>500-999: other framework modules.
 *   <li>1000 and up: applications.
 * </ul>
 *
 * <p>Implementations need a public no-arg constructor: they are created reflectively, in the order of
 * the class names in {@code pekko-raft.serialization.registrars}. {@link #register} runs once per Kryo
 * instance of the pool, so it must not keep state of its own.
 */
public interface KryoRegistrar {

  /** Registers classes with {@code kryo.register(Class, id)} or {@code kryo.register(Class, Serializer, id)}. */
  void register(Kryo kryo);
}
