package io.pekkoraft.consensus.sim;

import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Collects the replies to one client request; read it after the simulation is quiescent. */
public final class ReplyBox {

  private final List<ClientEnvelope> replies = new ArrayList<>();
  private ActorRef<ClientEnvelope> ref;

  static Behavior<ClientEnvelope> behavior(ReplyBox box) {
    return Behaviors.receiveMessage(reply -> {
      synchronized (box) {
        box.replies.add(reply);
      }
      return Behaviors.same();
    });
  }

  void bind(ActorRef<ClientEnvelope> ref) {
    this.ref = ref;
  }

  /** The box as a request's replyTo; it takes tagged replies too. */
  public ActorRef<ClientReply> ref() {
    return ref.narrow();
  }

  /** The first reply to an untagged request, or null when none arrived yet. */
  public synchronized ClientReply first() {
    return replies.isEmpty() ? null : (ClientReply) replies.get(0);
  }

  /** Every reply, tagged envelopes included, in order of arrival. */
  public synchronized List<ClientEnvelope> all() {
    return List.copyOf(replies);
  }
}
