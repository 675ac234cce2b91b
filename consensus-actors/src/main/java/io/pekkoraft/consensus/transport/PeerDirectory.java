package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * registers under {@link #serviceKey}; a subscriber actor per followed member keeps {@link #get} current.
 * A listing from an address other than the member's configured one is ignored (with a warning), so a
 * misconfigured node cannot take a member's place. The configured address is the one the configuration
 * in effect records for the member, else its bootstrap address ({@code pekko-raft.members}); see
 * {@link #follow}. Used by the servers' transport and by clients outside the group.
 *
 * <p>Thread-safety: {@link #follow} and {@link #unfollow} are called by one owner (the server actor, or a
 * client connection's membership follower actor); {@link #get} from any thread; the subscriber actors write the listing
 * concurrently. A subscriber of a member no longer followed, or followed anew, never writes again: each
 * listing is recorded only while its subscription is still the member's current one.
 */
@InternalApi
public final class PeerDirectory {

  private static final Logger log = LoggerFactory.getLogger(PeerDirectory.class);

  private final String groupId;
  private final Map<String, Address> memberAddresses;
  /** The current subscription of each followed member: the address its listing must come from. */
  private final Map<String, Subscription> followed = new ConcurrentHashMap<>();
  private final Map<String, ActorRef<ServerCommand>> listed = new ConcurrentHashMap<>();

  /** One subscription to a member's key; its identity tells a current subscriber from a stale one. */
  private static final class Subscription {
    /** Null: no address is known, so only a sole listing is taken. */
    final Address address;

    Subscription(Address address) {
      this.address = address;
    }
  }

  /** @param memberAddresses member id to its bootstrap Pekko address ({@code pekko-raft.members}) */
  public PeerDirectory(String groupId, Map<String, Address> memberAddresses) {
    this.groupId = groupId;
    this.memberAddresses = Map.copyOf(memberAddresses);
  }

  public static ServiceKey<ServerCommand> serviceKey(String groupId, String memberId) {
    return ServiceKey.create(ServerCommand.class, "pekko-raft/" + groupId + "/" + memberId);
  }

  /** The bootstrap members and their addresses, as given ({@code pekko-raft.members}). */
  public Map<String, Address> memberAddresses() {
    return memberAddresses;
  }

  /** The member's server as last listed, or null when it is not listed (not started yet, gone, or not followed). */
  public ActorRef<ServerCommand> get(String member) {
    return listed.get(member);
  }

  /** The members followed now, this node's own server not counted. */
  public Set<String> followed() {
    return Set.copyOf(followed.keySet());
  }

  /** Record a server of this node itself, which needs no listing. */
  void putLocal(String member, ActorRef<ServerCommand> server) {
    listed.put(member, server);
  }

  /** The actor that keeps {@code member}'s entry current at its bootstrap address; spawn one per member to follow. */
  public Behavior<Receptionist.Listing> subscriber(String member) {
    if (!memberAddresses.containsKey(member)) {
      throw new IllegalArgumentException(member + " is not a member of group " + groupId + ": " + memberAddresses.keySet());
    }
    return follow(member, memberAddresses.get(member));
  }

  /**
   * Follow {@code member}, whose server must be listed from {@code address} (null when no address is known:
   * then a listing is taken only while it names a single server). Returns the subscriber actor to spawn.
   * A member followed already is followed anew: its entry is dropped until the new subscriber hears the
   * listing, and the earlier subscriber (stop it) records nothing more.
   */
  public Behavior<Receptionist.Listing> follow(String member, Address address) {
    Subscription subscription = new Subscription(address);
    if (followed.put(member, subscription) != null) listed.remove(member);
    return subscriber(member, subscription);
  }

  /** Stop following {@code member} (removed from the configuration): it is not listed any more. Stop its subscriber. */
  public void unfollow(String member) {
    // In this order: a subscriber's late listing, recorded under the map's lock for member, then sees it is not current.
    if (followed.remove(member) != null) listed.remove(member);
  }

  private Behavior<Receptionist.Listing> subscriber(String member, Subscription subscription) {
    return Behaviors.setup(ctx -> {
      ServiceKey<ServerCommand> key = serviceKey(groupId, member);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, ctx.getSelf()));
      return Behaviors.receiveMessage(listing -> {
        if (followed.get(member) != subscription) return Behaviors.stopped(); // followed anew, or not at all
        Set<ActorRef<ServerCommand>> servers = listing.getServiceInstances(key);
        ActorRef<ServerCommand> found = null;
        if (subscription.address == null) {
          if (servers.size() == 1) found = servers.iterator().next();
          else if (servers.size() > 1) {
            log.warn("Ignoring the servers registered as member {} of group {}: its address is not known, so none of"
                + " {} can be told from an impostor (add the member with its address)", member, groupId, servers);
          }
        } else {
          for (ActorRef<ServerCommand> ref : servers) {
            if (isAddress(subscription.address, ref.path().address(), ctx.getSystem().address())) found = ref;
            else log.warn("Ignoring {} registered as member {} of group {}: its address is not the configured {}",
                ref, member, groupId, subscription.address);
          }
        }
        ActorRef<ServerCommand> current = found;
        Object[] before = new Object[1];
        listed.compute(member, (id, was) -> {
          before[0] = was;
          return followed.get(member) == subscription ? current : was;
        });
        if (!Objects.equals(before[0], current) && followed.get(member) == subscription) {
          log.debug("Group {}: member {} is {}", groupId, member, current == null ? "not listed" : current);
        }
        return Behaviors.same();
      });
    });
  }

  /** A ref of this node carries no host and port: its address is then this node's own (cluster) address. */
  private static boolean isAddress(Address configured, Address refAddress, Address selfAddress) {
    Address actual = refAddress.hasLocalScope() ? selfAddress : refAddress;
    return configured.equals(actual);
  }
}
