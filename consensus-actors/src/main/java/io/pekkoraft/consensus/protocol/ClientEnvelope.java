package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;
import org.apache.pekko.annotation.InternalApi;

/**
 * What a client actor receives: a bare {@link ClientReply} to a request without a tag, or, to tagged
 * requests (see {@link ClientRequest#tag}), the replies in a {@link Tagged} envelope, several of them in
 * a {@link TaggedBatch}. A user who sends {@link ClientRequest}s with tag 0 only ever sees
 * {@link ClientReply}; the envelopes are how {@code RaftClient}'s one long-lived answer actor tells the
 * answers of all its requests apart.
 */
public sealed interface ClientEnvelope extends RaftSerializable permits ClientReply, ClientEnvelope.Tagged,
    ClientEnvelope.TaggedBatch {

  /** The answer {@code reply} to the request the client tagged with {@code tag}. */
  @InternalApi
  record Tagged(long tag, ClientReply reply) implements ClientEnvelope {}

  /**
   * Several tagged answers for the same client actor, sent as one message: what a leader applied for
   * that client's requests in one go.
   */
  @InternalApi
  record TaggedBatch(List<Tagged> replies) implements ClientEnvelope {
    public TaggedBatch {
      if (replies.isEmpty()) throw new IllegalArgumentException("an empty batch of replies");
      replies = List.copyOf(replies);
    }
  }
}
