package io.pekkoraft.persistence.serialization;

import java.nio.ByteBuffer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.JSerializer;

/**
 * The Pekko serializer for every {@link RaftSerializable}, bound in {@code reference.conf}. It only
 * delegates to the system's {@link RaftSerialization#codec()}, so messages on the wire, events in the
 * journal and bytes stored by hand are all the same format.
 *
 * <p>Also a {@link ByteBufferSerializer}: Artery then writes a message straight into its envelope buffer
 * and reads it from there, with no byte array per message. Both paths write the same bytes (no manifest
 * either way), so each reads what the other wrote; Pekko Persistence uses the byte array path.
 */
public final class RaftKryoSerializer extends JSerializer implements ByteBufferSerializer {

  /**
   * Written next to every persisted event and every remote message, so Pekko knows which serializer
   * reads them back. Never change it: events already in a journal would no longer find their
   * serializer. Pekko reserves 0-40 for itself.
   */
  public static final int IDENTIFIER = 4242;

  private final ExtendedActorSystem system;

  // Pekko may create serializers while the system is still starting; looking the codec (and with it the
  // typed ActorRefResolver) up on first use keeps this constructor free of any startup ordering.
  private volatile KryoCodec codec;

  public RaftKryoSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  /** The class is inside the bytes (as a Kryo id), so Pekko need not store a manifest. */
  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    return codec().toBytes(o);
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    return codec().fromBytes(bytes);
  }

  /**
   * Writes {@code o} into {@code buf} at its position. A message larger than what remains of the buffer
   * throws a {@link java.nio.BufferOverflowException} ({@link BufferTooSmallException}) without writing:
   * Artery then drops it as oversized, naming the frame size.
   */
  @Override
  public void toBinary(Object o, ByteBuffer buf) {
    codec().toBuffer(o, buf);
  }

  /** Reads the message between the buffer's position and its limit; the manifest is empty, as above. */
  @Override
  public Object fromBinary(ByteBuffer buf, String manifest) {
    return codec().fromBuffer(buf);
  }

  private KryoCodec codec() {
    KryoCodec c = codec;
    if (c == null) {
      c = RaftSerialization.get(system).codec();
      codec = c;
    }
    return c;
  }
}
