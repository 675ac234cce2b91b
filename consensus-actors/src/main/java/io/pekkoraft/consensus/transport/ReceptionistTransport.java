package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peers found through the Pekko Cluster receptionist: each server registers under a service key made of
 * its group and member id, and subscribes to the keys of the other members. A listing from an address
 * other than the member's configured one is ignored, so a misconfigured node cannot take a member's place.
 */
public final class ReceptionistTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(ReceptionistTransport.class);

  private final String groupId;
  private final Map<String, Address> memberAddresses;
  private final Map<String, ActorRef<ServerCommand>> peers = new ConcurrentHashMap<>();

  /** @param memberAddresses member id to its configured Pekko address */
  public ReceptionistTransport(String groupId, Map<String, Address> memberAddresses) {
    this.groupId = groupId;
    this.memberAddresses = Map.copyOf(memberAddresses);
  }

  public static ServiceKey<ServerCommand> serviceKey(String groupId, String memberId) {
    return ServiceKey.create(ServerCommand.class, "pekko-raft/" + groupId + "/" + memberId);
  }

  @Override
  public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
    ActorRef<Receptionist.Command> receptionist = context.getSystem().receptionist();
    receptionist.tell(Receptionist.register(serviceKey(groupId, selfId), server));
    peers.put(selfId, server);
    for (String member : memberAddresses.keySet()) {
      if (member.equals(selfId)) continue;
      context.spawn(subscriber(member), "peer-" + member);
    }
  }

  private Behavior<Receptionist.Listing> subscriber(String member) {
    return Behaviors.setup(ctx -> {
      ServiceKey<ServerCommand> key = serviceKey(groupId, member);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, ctx.getSelf()));
      return Behaviors.receiveMessage(listing -> {
        ActorRef<ServerCommand> found = null;
        for (ActorRef<ServerCommand> ref : listing.getServiceInstances(key)) {
          if (isConfiguredAddress(member, ref.path().address(), ctx.getSystem().address())) found = ref;
          else log.warn("Ignoring {} registered as member {} of group {}: its address is not the configured {}",
              ref, member, groupId, memberAddresses.get(member));
        }
        ActorRef<ServerCommand> before = found == null ? peers.remove(member) : peers.put(member, found);
        if (!Objects.equals(before, found)) {
          log.debug("Group {}: member {} is {}", groupId, member, found == null ? "not listed" : found);
        }
        return Behaviors.same();
      });
    });
  }

  /** A ref of this node carries no host and port: its address is then this node's own (cluster) address. */
  private boolean isConfiguredAddress(String member, Address refAddress, Address selfAddress) {
    Address actual = refAddress.hasLocalScope() ? selfAddress : refAddress;
    return memberAddresses.get(member).equals(actual);
  }

  @Override
  public boolean send(String to, ServerCommand message) {
    ActorRef<ServerCommand> peer = peers.get(to);
    if (peer == null) return false;
    peer.tell(message);
    return true;
  }
}
