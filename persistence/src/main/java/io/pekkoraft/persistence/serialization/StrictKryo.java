package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A Kryo that writes only registered classes and refuses a registration that would make two nodes
 * disagree. Kryo on its own silently lets a later {@code register} take over an id or move a class to a
 * new id; here both fail while the registrars run, that is at startup, not at the first message.
 */
final class StrictKryo extends Kryo {

  StrictKryo(ClassLoader classLoader) {
    // Without it Kryo writes class names for unknown classes: bigger messages, and any class on the
    // reader's classpath can be instantiated from the wire.
    setRegistrationRequired(true);
    // Our messages are trees of immutable values; tracking references would cost a map lookup per object.
    // A cycle would overflow the stack instead.
    setReferences(false);
    setClassLoader(classLoader);
  }

  @Override
  public Registration register(Registration registration) {
    Registration byId = getClassResolver().getRegistration(registration.getId());
    if (byId != null && byId.getType() != registration.getType()) {
      throw new IllegalStateException(
          "Kryo id " + registration.getId() + " is already taken by " + byId.getType().getName()
              + ", cannot give it to " + registration.getType().getName()
              + "; see KryoRegistrar for the id ranges");
    }
    requireNotRegisteredElsewhere(registration.getType(), registration.getId());
    return super.register(registration);
  }

  /** Kryo's version returns an existing registration as it is, even one with another id. */
  @Override
  @SuppressWarnings("rawtypes")
  public Registration register(Class type, int id) {
    requireNotRegisteredElsewhere(type, id);
    return super.register(type, id);
  }

  private void requireNotRegisteredElsewhere(Class<?> type, int id) {
    Registration byType = getClassResolver().getRegistration(type);
    if (byType != null && byType.getId() != id) {
      throw new IllegalStateException(
          type.getName() + " is already registered with Kryo id " + byType.getId()
              + ", cannot register it again with id " + id);
    }
  }

  @Override
  @SuppressWarnings("rawtypes")
  protected String unregisteredClassMessage(Class type) {
    String hint =
        ActorRef.class.isAssignableFrom(type)
            ? " Typed ActorRefs need a KryoCodec built with an ActorRefResolver (RaftSerialization does this)."
            : "";
    return "Class is not registered with Kryo: " + type.getName() + ". Register it with an explicit id in a"
        + " KryoRegistrar listed in pekko-raft.serialization.registrars." + hint;
  }
}
