package io.pekkoraft.consensus.sim;

import io.pekkoraft.consensus.protocol.ClientReply;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Collects the replies to one client request; read it after the simulation is quiescent. */
public final class ReplyBox {

  private final List<ClientReply> replies = new ArrayList<>();
  private ActorRef<ClientReply> ref;

  static Behavior<ClientReply> behavior(ReplyBox box) {
    return Behaviors.receiveMessage(reply -> {
      synchronized (box) {
        box.replies.add(reply);
      }
      return Behaviors.same();
    });
  }

  void bind(ActorRef<ClientReply> ref) {
    this.ref = ref;
  }

  public ActorRef<ClientReply> ref() {
    return ref;
  }

  /** The first reply, or null when none arrived yet. */
  public synchronized ClientReply first() {
    return replies.isEmpty() ? null : replies.get(0);
  }

  public synchronized List<ClientReply> all() {
    return List.copyOf(replies);
  }
}
