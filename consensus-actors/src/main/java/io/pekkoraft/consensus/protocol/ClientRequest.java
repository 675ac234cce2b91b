package io.pekkoraft.consensus.protocol;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.persistence.serialization.RaftSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A request from a client. Commands and queries travel already serialized (once, by the client), so that
 * forwarding and replication never serialize them again. {@code hops} counts forwards between servers, so
 * a request chasing a moving leader stops instead of circling.
 */
public sealed interface ClientRequest extends ServerCommand, RaftSerializable {

  ActorRef<ClientReply> replyTo();

  int hops();

  ClientRequest forwarded();

  record ClientCommand(byte[] command, int hops, ActorRef<ClientReply> replyTo) implements ClientRequest {
    @Override
    public ClientCommand forwarded() {
      return new ClientCommand(command, hops + 1, replyTo);
    }
  }

  record ClientQuery(byte[] query, ReadConsistency consistency, int hops, ActorRef<ClientReply> replyTo)
      implements ClientRequest {
    @Override
    public ClientQuery forwarded() {
      return new ClientQuery(query, consistency, hops + 1, replyTo);
    }
  }
}
