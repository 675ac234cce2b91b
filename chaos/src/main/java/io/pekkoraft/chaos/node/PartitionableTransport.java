package io.pekkoraft.chaos.node;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The fault-injection layer of a chaos node: wraps the node's Raft transport and drops every message this
 * node sends to a blocked peer, as a network cut would (the send reports success: a lost message looks sent).
 * Cutting both directions between two nodes takes blocking each at the other, which the runner does: it
 * tells every node of a partition whom it can no longer reach. Only Raft traffic is cut; the Pekko Cluster
 * (gossip, failure detection) and the clients' requests still flow, so what is tested is Raft's behaviour
 * under a partition, not the cluster's membership decisions.
 */
public final class PartitionableTransport implements Transport {

  private final Transport delegate;
  private volatile Set<String> blocked = Set.of();
  private final AtomicLong dropped = new AtomicLong();

  public PartitionableTransport(Transport delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** From now on, drop what is sent to {@code peers} (and only to them). */
  public void block(Set<String> peers) {
    blocked = Set.copyOf(peers);
  }

  /** Deliver to every peer again. */
  public void heal() {
    blocked = Set.of();
  }

  public Set<String> blocked() {
    return blocked;
  }

  /** Messages dropped since the node started. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
    delegate.bind(selfId, server, context);
  }

  @Override
  public boolean send(String to, ServerCommand message) {
    if (blocked.contains(to)) {
      dropped.incrementAndGet();
      return true;
    }
    return delegate.send(to, message);
  }
}
