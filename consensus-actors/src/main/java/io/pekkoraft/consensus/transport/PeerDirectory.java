package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.annotation.InternalApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the servers of one Raft group are right now, as the Cluster receptionist lists them: each server
 * registers under {@link #serviceKey}; a subscriber actor per member keeps {@link #get} current. A listing
 * from an address other than the member's configured one is ignored (with a warning), so a misconfigured
 * node cannot take a member's place. Used by the servers' transport and by clients outside the group.
 */
@InternalApi
public final class PeerDirectory {

  private static final Logger log = LoggerFactory.getLogger(PeerDirectory.class);

  private final String groupId;
  private final Map<String, Address> memberAddresses;
  private final Map<String, ActorRef<ServerCommand>> listed = new ConcurrentHashMap<>();

  /** @param memberAddresses member id to its configured Pekko address */
  public PeerDirectory(String groupId, Map<String, Address> memberAddresses) {
    this.groupId = groupId;
    this.memberAddresses = Map.copyOf(memberAddresses);
  }

  public static ServiceKey<ServerCommand> serviceKey(String groupId, String memberId) {
    return ServiceKey.create(ServerCommand.class, "pekko-raft/" + groupId + "/" + memberId);
  }

  public Map<String, Address> memberAddresses() {
    return memberAddresses;
  }

  /** The member's server as last listed, or null when it is not listed (not started yet, or gone). */
  public ActorRef<ServerCommand> get(String member) {
    return listed.get(member);
  }

  /** Record a server of this node itself, which needs no listing. */
  void putLocal(String member, ActorRef<ServerCommand> server) {
    listed.put(member, server);
  }

  /** The actor that keeps {@code member}'s entry current; spawn one per member to follow. */
  public Behavior<Receptionist.Listing> subscriber(String member) {
    if (!memberAddresses.containsKey(member)) {
      throw new IllegalArgumentException(member + " is not a member of group " + groupId + ": " + memberAddresses.keySet());
    }
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
        ActorRef<ServerCommand> before = found == null ? listed.remove(member) : listed.put(member, found);
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
}
