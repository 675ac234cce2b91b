package io.pekkoraft.consensus.transport;

import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Peers found through the Pekko Cluster receptionist: each server registers under a service key made of
 * its group and member id, and follows the keys of the other members through a {@link PeerDirectory}.
 */
public final class ReceptionistTransport implements Transport {

  private final String groupId;
  private final PeerDirectory peers;

  /** @param memberAddresses member id to its configured Pekko address */
  public ReceptionistTransport(String groupId, Map<String, Address> memberAddresses) {
    this.groupId = groupId;
    this.peers = new PeerDirectory(groupId, memberAddresses);
  }

  public static ServiceKey<ServerCommand> serviceKey(String groupId, String memberId) {
    return PeerDirectory.serviceKey(groupId, memberId);
  }

  @Override
  public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
    context.getSystem().receptionist().tell(Receptionist.register(PeerDirectory.serviceKey(groupId, selfId), server));
    peers.putLocal(selfId, server);
    for (String member : peers.memberAddresses().keySet()) {
      if (!member.equals(selfId)) context.spawn(peers.subscriber(member), "peer-" + member);
    }
  }

  @Override
  public boolean send(String to, ServerCommand message) {
    ActorRef<ServerCommand> peer = peers.get(to);
    if (peer == null) return false;
    peer.tell(message);
    return true;
  }
}
