package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Answers gathered while one batch of work is done, then sent: the tagged answers for the same client
 * actor travel as one {@link ClientEnvelope.TaggedBatch}, in the order they were added. A remote client
 * then pays for one message per batch of applied entries instead of one per command. Untagged requests
 * are answered at once.
 */
final class ReplyBatch {

  private final Map<ActorRef<ClientEnvelope>, List<ClientEnvelope.Tagged>> tagged = new LinkedHashMap<>();

  void add(ClientRequest request, ClientReply reply) {
    if (request.tag() == 0) {
      request.reply(reply);
    } else {
      tagged.computeIfAbsent(request.envelopeReplyTo(), r -> new ArrayList<>())
          .add(new ClientEnvelope.Tagged(request.tag(), reply));
    }
  }

  void send() {
    for (Map.Entry<ActorRef<ClientEnvelope>, List<ClientEnvelope.Tagged>> e : tagged.entrySet()) {
      List<ClientEnvelope.Tagged> replies = e.getValue();
      e.getKey().tell(replies.size() == 1 ? replies.get(0) : new ClientEnvelope.TaggedBatch(replies));
    }
    tagged.clear();
  }
}
