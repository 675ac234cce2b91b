package io.pekkoraft.persistence.snapshot;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * A snapshot holding a classic ActorRef, and its serializer. Like Pekko's Jackson serializers and the
 * plugin TCK's, the serializer writes and resolves the ref through Pekko's transport information (the
 * actor system and its address), which a store must set around serialization: outside it,
 * {@link Serialization#getCurrentTransportInformation()} throws.
 */
record RefHoldingSnapshot(ActorRef ref) {

  /** Bind it with {@link #CONFIG}. */
  static final class RefSerializer extends SerializerWithStringManifest {
    private final ExtendedActorSystem system;

    RefSerializer(ExtendedActorSystem system) {
      this.system = system;
    }

    @Override
    public int identifier() {
      return 4343;
    }

    @Override
    public String manifest(Object o) {
      return "R";
    }

    @Override
    public byte[] toBinary(Object o) {
      checkTransportInformation();
      return Serialization.serializedActorPath(((RefHoldingSnapshot) o).ref()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) {
      checkTransportInformation();
      return new RefHoldingSnapshot(system.provider().resolveActorRef(new String(bytes, StandardCharsets.UTF_8)));
    }

    private void checkTransportInformation() {
      Serialization.Information info = Serialization.getCurrentTransportInformation(); // throws when not set
      if (info.system() != system) {
        throw new IllegalStateException("transport information of another actor system: " + info.system());
      }
    }
  }

  /** Configuration that binds {@link RefHoldingSnapshot} to {@link RefSerializer}. */
  static final String CONFIG = "pekko.actor.serializers.ref-holding = \"" + RefSerializer.class.getName() + "\"\n"
      + "pekko.actor.serialization-bindings { \"" + RefHoldingSnapshot.class.getName() + "\" = ref-holding }\n";
}
