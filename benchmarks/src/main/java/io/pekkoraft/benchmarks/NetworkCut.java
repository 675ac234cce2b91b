package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Cuts one member off the Raft network of a cluster, in both directions, for the {@code crash} failover
 * mode: every member's transport is wrapped by {@link #decorate}, and once {@link #isolate} names a member,
 * whatever it sends and whatever is sent to it is dropped, as a network that lost it would. The member
 * cannot hand its leadership over, nor hear that it lost it.
 */
final class NetworkCut {

  private volatile String isolated;

  /** From now on, drop every Raft message from or to {@code memberId}. */
  void isolate(String memberId) {
    isolated = memberId;
  }

  /** Wraps one member's transport. */
  Transport decorate(Transport inner) {
    return new Transport() {
      private volatile String self;

      @Override
      public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
        self = selfId;
        inner.bind(selfId, server, context);
      }

      @Override
      public boolean send(String to, ServerCommand message) {
        String cut = isolated;
        // Lost on the way: the sender cannot tell, as with a real network.
        if (cut != null && (cut.equals(to) || cut.equals(self))) return true;
        return inner.send(to, message);
      }
    };
  }
}
