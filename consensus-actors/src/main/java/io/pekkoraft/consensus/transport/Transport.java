package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * How the servers of one Raft group reach each other, by stable member id. Delivery is best effort: a
 * message may be lost, delayed, duplicated or reordered, and Raft is correct under all of these.
 *
 * <p>The production transport finds peers through the Pekko Cluster receptionist
 * ({@link ReceptionistTransport}); tests plug in a simulated network.
 */
public interface Transport {

  /**
   * Makes {@code server}, member {@code selfId}, reachable by its peers. Called once by the server when it
   * has recovered its state; {@code context} is the server's, for any helper actor the transport needs.
   */
  void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context);

  /**
   * Sends {@code message} to member {@code to}. Returns false when {@code to} is not known (not yet found,
   * or gone), so nothing was sent; true means it went on its way, which still does not mean it arrives.
   */
  boolean send(String to, ServerCommand message);
}
