package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
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

  /**
   * The configuration in effect is now {@code config}: who the members are and, for members added at run
   * time, their addresses ({@link Configuration#address}). Called on the server's thread, once at start
   * with the recovered configuration (before {@link #bind}), and again whenever it changes (a configuration
   * entry appended or truncated away, a snapshot installed). A transport that finds peers by address
   * follows the members of {@code config} from then on; one that reaches every id anyway (a simulated
   * network) ignores it, as this default does. A decorating transport passes it on. While the configuration
   * in effect is not committed, {@code config} also names, as learners, the members of the committed one
   * that it leaves out: a leader that removes itself needs its followers' answers until its removal commits.
   */
  default void configurationChanged(Configuration config) {}
}
