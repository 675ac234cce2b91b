package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/**
 * Requests of several clients of one ActorSystem, sent to a server as one message. A server handles
 * them exactly as if each had arrived alone, in order; each is answered on its own (or together with
 * others in a {@link ClientEnvelope.TaggedBatch}). The requests usually share one {@code replyTo}, which
 * then travels once.
 */
public record ClientBatch(List<ClientRequest> requests) implements ServerCommand, RaftSerializable {
  public ClientBatch {
    if (requests.isEmpty()) throw new IllegalArgumentException("an empty batch of client requests");
    requests = List.copyOf(requests);
  }
}
