package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Writes a typed ActorRef as its path with the sender's address, and resolves it on the reader's side,
 * so a {@code replyTo} reaches the right actor from any node. Pekko's own resolver does the work; it
 * knows the local address, which is why a codec without one cannot carry ActorRefs.
 */
final class ActorRefSerializer extends Serializer<ActorRef<?>> {

  private final ActorRefResolver resolver;

  ActorRefSerializer(ActorRefResolver resolver) {
    super(false, true);
    this.resolver = resolver;
  }

  @Override
  public void write(Kryo kryo, Output output, ActorRef<?> ref) {
    output.writeString(resolver.toSerializationFormat(ref));
  }

  @Override
  public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
    String path = input.readString();
    if (path == null) throw new KryoException("ActorRef without a path: the bytes are corrupt");
    return resolver.resolveActorRef(path);
  }
}
