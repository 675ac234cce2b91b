package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.PeerDirectory;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What every {@link RaftClient} of one ActorSystem for one group shares, like a channel its stubs share:
 * the members' listing, the leader hint, one actor for all answers and one outbox that sends concurrent
 * requests together. Opened by the first client, closed with the last.
 */
@InternalApi
public final class ClientConnection implements RequestLoop.Route {

  /** The open connections of one system, by group. */
  public static final class Registry implements Extension {
    public static final ExtensionId<Registry> ID = new ExtensionId<>() {
      @Override
      public Registry createExtension(ActorSystem<?> system) {
        return new Registry(system);
      }
    };

    private final ActorSystem<?> system;
    private final Map<String, ClientConnection> open = new HashMap<>();
    private int opened;

    private Registry(ActorSystem<?> system) {
      this.system = system;
    }

    public synchronized ClientConnection acquire(String groupId, Map<String, Address> members) {
      ClientConnection c = open.get(groupId);
      if (c != null && !c.directory.memberAddresses().equals(members)) {
        throw new IllegalStateException("clients of group " + groupId + " on this system already use the members "
            + c.directory.memberAddresses() + ", not " + members);
      }
      if (c == null) {
        c = new ClientConnection(system, groupId, members, ++opened);
        open.put(groupId, c);
      }
      c.references++;
      return c;
    }

    public synchronized void release(ClientConnection c) {
      if (--c.references == 0) {
        open.remove(c.groupId, c);
        c.stop();
      }
    }
  }

  private final ActorSystem<?> system;
  private final String groupId;
  private final PeerDirectory directory;
  private final Address selfAddress;
  private final List<String> members;
  private final List<ActorRef<?>> subscribers = new ArrayList<>();
  private final TaggedReplies replies;
  private final RequestLoop requests;
  private final Cluster cluster;
  private final AtomicInteger roundRobin = new AtomicInteger();
  private volatile String leaderHint;
  private int references; // guarded by the registry

  private ClientConnection(ActorSystem<?> system, String groupId, Map<String, Address> members, int number) {
    this.system = system;
    this.groupId = groupId;
    this.directory = new PeerDirectory(groupId, members);
    this.members = List.copyOf(members.keySet());
    String prefix = "pekko-raft-client-" + groupId + "-" + number;
    this.replies = new TaggedReplies(system, prefix);
    this.requests = new RequestLoop(system, RaftSerialization.get(system).codec(), replies);
    this.cluster = Cluster.get(system);
    this.selfAddress = cluster.selfMember().address();
    for (String member : this.members) {
      subscribers.add(system.systemActorOf(directory.subscriber(member), prefix + "-" + member, Props.empty()));
    }
  }

  /** The request loop every client of this connection shares. */
  public RequestLoop requests() {
    return requests;
  }

  /** The member the clients currently believe leads, or null. */
  public String leaderHint() {
    return leaderHint;
  }

  @Override
  public ActorRef<ServerCommand> next() {
    String hint = leaderHint;
    ActorRef<ServerCommand> leader = hint == null ? null : usable(hint, true);
    if (leader != null) return leader;
    int start = Math.floorMod(roundRobin.getAndIncrement(), members.size());
    for (int i = 0; i < members.size(); i++) {
      ActorRef<ServerCommand> listed = usable(members.get((start + i) % members.size()), false);
      if (listed != null) return listed;
    }
    return null;
  }

  /**
   * The member's server if its node is up and reachable in the cluster: the receptionist keeps listing a
   * node that is leaving or unreachable for a while, and a request sent there would end in a timeout
   * (outcome unknown) instead of a quick redirect. A member named as the leader ({@code named}) is also
   * reached before the receptionist lists it, at the path its server has on every member: a new leader
   * shortly after the cluster formed is often not listed here yet, and the client would otherwise wait
   * for the listing to spread (a quarter of a second was measured) while the leader serves.
   */
  private ActorRef<ServerCommand> usable(String member, boolean named) {
    ActorRef<ServerCommand> ref = directory.get(member);
    // The directory lists a member's server only at its configured address (or, on that very node, as a
    // local ref), so the configured address stands for it: no path walk per request.
    Address address = directory.memberAddresses().get(member);
    if (ref != null && address.equals(selfAddress)) return ref; // this node's own server
    if (!usableAddresses().contains(address)) return null;
    return ref != null ? ref : named ? byPath.computeIfAbsent(member, this::serverAt) : null;
  }

  /** Members' servers addressed by path, for members not listed yet. */
  private final Map<String, ActorRef<ServerCommand>> byPath = new ConcurrentHashMap<>();

  private ActorRef<ServerCommand> serverAt(String member) {
    return ActorRefResolver.get(system).resolveActorRef(
        directory.memberAddresses().get(member).toString() + "/system/" + RaftServer.actorName(groupId));
  }

  /** The addresses of the members Up and reachable in {@code state}. */
  private record Usable(CurrentClusterState state, Set<Address> addresses) {}

  private volatile Usable usable = new Usable(null, Set.of());

  /**
   * The addresses of the members that are Up and reachable: computed once per cluster change (the
   * cluster's state is a new object then), not for every request.
   */
  private Set<Address> usableAddresses() {
    CurrentClusterState state = cluster.state();
    Usable known = usable;
    if (state == known.state()) return known.addresses();
    Set<Address> unreachable = new HashSet<>();
    for (Member m : state.getUnreachable()) unreachable.add(m.address());
    Set<Address> addresses = new HashSet<>();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && !unreachable.contains(m.address())) addresses.add(m.address());
    }
    usable = new Usable(state, addresses);
    return addresses;
  }

  @Override
  public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
    leaderHint = leaderId;
    ActorRef<ServerCommand> named = leaderId == null ? null : usable(leaderId, true);
    return named != null && !named.equals(asked); // a new lead to follow at once; otherwise wait a little
  }

  /** Members do not forward the client's requests: they name the leader, and the client goes there itself. */
  @Override
  public int hops() {
    return 1;
  }

  /** With hops 1 a server that applied a command leads; one that served a read led at the time. */
  @Override
  public void served(ActorRef<ServerCommand> asked) {
    for (String member : members) {
      if (isServerOf(member, asked)) leaderHint = member;
    }
  }

  @Override
  public void noAnswer(ActorRef<ServerCommand> asked) {
    String hint = leaderHint;
    if (hint != null && isServerOf(hint, asked)) leaderHint = null;
  }

  /** {@code ref} is the member's server as listed, or as addressed by path. */
  private boolean isServerOf(String member, ActorRef<ServerCommand> ref) {
    return ref.equals(directory.get(member)) || ref.equals(byPath.get(member));
  }

  private void stop() {
    for (ActorRef<?> s : subscribers) system.classicSystem().stop(Adapter.toClassic(s));
    replies.stop();
  }
}
