package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peers found through the Pekko Cluster receptionist: each server registers under a service key made of
 * its group and member id, and follows the keys of the other members through a {@link PeerDirectory}.
 *
 * <p>It follows the members of the configuration in effect ({@link #configurationChanged}): a member added
 * is followed at the address the configuration records for it, else at its bootstrap address
 * ({@code pekko-raft.members}); a member removed is no longer followed, so {@link #send} to it returns false.
 * Until the server reports a configuration, the bootstrap members are followed. Every method runs on the
 * server's thread.
 */
public final class ReceptionistTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(ReceptionistTransport.class);

  private final String groupId;
  private final PeerDirectory peers;
  private String selfId;
  private ActorContext<ServerCommand> context;
  /** The members to follow and where, from the latest configuration; null until the server reports one. */
  private Map<String, Address> wanted;
  /** The members followed now: where, and by which subscriber actor. */
  private final Map<String, Following> following = new HashMap<>();
  private long subscribersSpawned;

  private record Following(Address address, ActorRef<Receptionist.Listing> subscriber) {}

  /** @param memberAddresses member id to its bootstrap Pekko address ({@code pekko-raft.members}) */
  public ReceptionistTransport(String groupId, Map<String, Address> memberAddresses) {
    this.groupId = groupId;
    this.peers = new PeerDirectory(groupId, memberAddresses);
  }

  public static ServiceKey<ServerCommand> serviceKey(String groupId, String memberId) {
    return PeerDirectory.serviceKey(groupId, memberId);
  }

  @Override
  public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
    this.selfId = selfId;
    this.context = context;
    context.getSystem().receptionist().tell(Receptionist.register(PeerDirectory.serviceKey(groupId, selfId), server));
    peers.putLocal(selfId, server);
    follow(wanted != null ? wanted : peers.memberAddresses());
  }

  @Override
  public boolean send(String to, ServerCommand message) {
    ActorRef<ServerCommand> peer = peers.get(to);
    if (peer == null) return false;
    peer.tell(message);
    return true;
  }

  @Override
  public void configurationChanged(Configuration config) {
    Map<String, Address> members = new LinkedHashMap<>();
    for (String member : config.members()) members.put(member, addressOf(member, config));
    wanted = members;
    if (context != null) follow(members);
  }

  /** The directory of this transport's peers (tests look into it). */
  PeerDirectory peers() {
    return peers;
  }

  /**
   * The address a member's server must be listed from: the one the configuration records, else its
   * bootstrap address, else null (not known). A recorded address that is no Pekko address leaves the member
   * unknown rather than stopping the server: every member holds the same entry.
   */
  private Address addressOf(String member, Configuration config) {
    String recorded = config.address(member);
    if (recorded != null) {
      try {
        return AddressFromURIString.parse(recorded);
      } catch (Exception e) { // also java.net.MalformedURLException, checked but thrown from Scala
        log.error("Group {}: the configuration records '{}' as the address of {}, which is not a Pekko address like"
            + " pekko://system@host:port; {} is followed at its bootstrap address if it has one, else at any single"
            + " server listed under its id, until it is removed and added again with its address", groupId, recorded,
            member, member);
      }
    }
    return peers.memberAddresses().get(member);
  }

  /** Follow exactly {@code members} (this server aside): subscribe to those not followed, drop those gone. */
  private void follow(Map<String, Address> members) {
    for (Iterator<Map.Entry<String, Following>> it = following.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Following> f = it.next();
      if (!members.containsKey(f.getKey())) {
        peers.unfollow(f.getKey());
        context.stop(f.getValue().subscriber());
        it.remove();
        context.getLog().info("{} of group {} no longer follows {}: it left the configuration", selfId, groupId,
            f.getKey());
      }
    }
    members.forEach((member, address) -> {
      if (member.equals(selfId)) return;
      Following before = following.get(member);
      if (before != null && Objects.equals(before.address(), address)) return;
      if (before != null) context.stop(before.subscriber());
      // URL-encoded: a legal actor name whatever the id (MemberIds keeps ids plain; an id that is
      // not, in a configuration written before that rule, must not stop this actor).
      ActorRef<Receptionist.Listing> subscriber = context.spawn(peers.follow(member, address),
          "peer-" + java.net.URLEncoder.encode(member, java.nio.charset.StandardCharsets.UTF_8) + "-"
          + ++subscribersSpawned);
      following.put(member, new Following(address, subscriber));
      context.getLog().debug("{} of group {} follows {} at {}", selfId, groupId, member,
          address != null ? address : "an unknown address");
    });
  }
}
