package io.pekkoraft.persistence.serialization;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.pekko.ConfigurationException;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionId;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The one {@link KryoCodec} of an actor system, built from the registrars named in {@code
 * pekko-raft.serialization.registrars}. One per system, because its ActorRefResolver belongs to the
 * system; {@link RaftKryoSerializer} and code that stores bytes itself share it.
 *
 * <p>A classic extension, so that the serializer, which Pekko creates with the classic system, reaches
 * it too. {@code reference.conf} lists it in {@code pekko.library-extensions}: it is created while the
 * system starts, and a registrar that cannot be loaded stops the start with its name in the error.
 */
public final class RaftSerialization implements Extension {

  /** The config key with the registrar class names, in registration order. */
  public static final String REGISTRARS_KEY = "pekko-raft.serialization.registrars";

  /** The extension id; Pekko keys extensions by this instance. */
  public static final Id ID = new Id();

  private final KryoCodec codec;

  private RaftSerialization(ExtendedActorSystem system) {
    ClassLoader classLoader = system.dynamicAccess().classLoader();
    List<KryoRegistrar> registrars = new ArrayList<>();
    // Each name once: a registrar appended by two configuration files runs once.
    for (String className :
        new LinkedHashSet<>(system.settings().config().getStringList(REGISTRARS_KEY))) {
      registrars.add(newRegistrar(className, classLoader));
    }
    ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.codec = KryoCodec.create(classLoader, registrars, resolver);
  }

  public static RaftSerialization get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  public static RaftSerialization get(org.apache.pekko.actor.ActorSystem system) {
    return ID.get(system);
  }

  public KryoCodec codec() {
    return codec;
  }

  private static KryoRegistrar newRegistrar(String className, ClassLoader classLoader) {
    Class<?> type;
    try {
      type = Class.forName(className, true, classLoader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new ConfigurationException(
          "Cannot load KryoRegistrar " + className + " listed in " + REGISTRARS_KEY + ": " + e, e);
    }
    if (!KryoRegistrar.class.isAssignableFrom(type)) {
      throw new ConfigurationException(
          className + " listed in " + REGISTRARS_KEY + " does not implement " + KryoRegistrar.class.getName());
    }
    try {
      return (KryoRegistrar) type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ConfigurationException(
          "Cannot create KryoRegistrar " + className + " listed in " + REGISTRARS_KEY
              + " (it needs a public no-arg constructor): " + e,
          e);
    }
  }

  /**
   * The extension id. Also an {@link ExtensionIdProvider}, so that {@code pekko.library-extensions} can
   * create an instance by its no-arg constructor and still reach the one {@link #ID}.
   */
  public static final class Id extends AbstractExtensionId<RaftSerialization>
      implements ExtensionIdProvider {

    @Override
    public RaftSerialization createExtension(ExtendedActorSystem system) {
      return new RaftSerialization(system);
    }

    @Override
    public ExtensionId<RaftSerialization> lookup() {
      return ID;
    }
  }
}
