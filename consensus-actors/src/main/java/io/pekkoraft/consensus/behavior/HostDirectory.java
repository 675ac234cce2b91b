package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.impl.client.ClientConnection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Where the hosts of a group's members are: {@code <member address>/system/<host name>}, the member's address
 * taken from the configuration in effect when it records one (a member added at run time), else from
 * {@code pekko-raft.members}. On a member, the configuration in effect is what its own server reports
 * ({@link io.pekkoraft.consensus.MembershipChanged}, through {@link #membershipChanged}); on a node outside
 * the group, it is the membership its {@link ClientConnection} follows, as a {@code RaftClient}'s: a member
 * it does not know makes the connection ask the group for its membership.
 */
final class HostDirectory implements EntityHost.Hosts {

  private final String hostName;
  private final ActorRefResolver resolver;
  private final Map<String, String> bootstrap;
  /** A non-member's connection, which follows the group's membership; null on a member. */
  private final ClientConnection connection;
  /** The members of the configuration in effect and the addresses it records (a member's host only). */
  private volatile Membership membership;
  /** Hosts by address: resolved once. */
  private final Map<String, ActorRef<EntityHost.HostCommand>> resolved = new ConcurrentHashMap<>();

  private HostDirectory(String hostName, ActorRefResolver resolver, Map<String, String> bootstrap,
      ClientConnection connection) {
    this.hostName = hostName;
    this.resolver = resolver;
    this.bootstrap = Map.copyOf(bootstrap);
    this.connection = connection;
  }

  /** The directory of a member's host, which learns the members added at run time from its own server. */
  static HostDirectory onMember(String hostName, ActorRefResolver resolver, Map<String, String> bootstrap) {
    return new HostDirectory(hostName, resolver, bootstrap, null);
  }

  /** The directory of a non-member's host: the members {@code connection} follows, at their addresses. */
  static HostDirectory onClient(String hostName, ActorRefResolver resolver, Map<String, String> bootstrap,
      ClientConnection connection) {
    return new HostDirectory(hostName, resolver, bootstrap, connection);
  }

  @Override
  public ActorRef<EntityHost.HostCommand> apply(String memberId) {
    String address = addressOf(memberId);
    if (address == null) {
      if (connection != null) connection.unknownMember(memberId); // learn the membership; asked again at a tick
      return null;
    }
    return resolved.computeIfAbsent(address, a -> resolver.resolveActorRef(a + "/system/" + hostName));
  }

  private String addressOf(String memberId) {
    if (connection != null) {
      Address followed = connection.addressOf(memberId);
      if (followed != null) return followed.toString();
    }
    Membership m = membership;
    String recorded = m == null ? null : m.addresses().get(memberId);
    return recorded != null ? recorded : bootstrap.get(memberId);
  }

  /** Kept unless older than the one known (its own server's and the leader's answer may cross). */
  @Override
  public synchronized void membershipChanged(Membership m) {
    Membership known = membership;
    if (known == null || m.configurationIndex() >= known.configurationIndex()) membership = m;
  }

  @Override
  public List<String> members() {
    if (connection != null && !connection.ids().isEmpty()) return connection.ids();
    Membership m = membership;
    if (m == null) return List.copyOf(new TreeSet<>(bootstrap.keySet()));
    TreeSet<String> ids = new TreeSet<>(m.voters());
    ids.addAll(m.votersOutgoing());
    ids.addAll(m.learners());
    ids.addAll(m.learnersNext());
    return List.copyOf(ids);
  }

  /** The members of {@code pekko-raft.members} that list an address, by id. */
  static Map<String, String> bootstrapAddresses(com.typesafe.config.Config config) {
    Map<String, String> addresses = new TreeMap<>();
    for (com.typesafe.config.Config m : config.getConfigList("pekko-raft.members")) {
      if (m.hasPath("address")) addresses.put(m.getString("id"), m.getString("address"));
    }
    return addresses;
  }
}
