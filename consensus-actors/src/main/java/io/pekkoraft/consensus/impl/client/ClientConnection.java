package io.pekkoraft.consensus.impl.client;

import com.typesafe.config.ConfigException;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.impl.SessionSettings;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.PeerDirectory;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>It follows the group's membership ({@link MembershipFollower}, an actor it owns): the bootstrap members
 * of {@code pekko-raft.members} at first; when an answer names a leader it does not know, and every
 * {@code pekko-raft.client.membership-refresh-interval}, it asks the group for its membership and follows
 * the members added at run time at their recorded addresses. Requests read the members followed from one
 * volatile immutable snapshot, from any thread.
 */
@InternalApi
public final class ClientConnection implements RequestLoop.Route, MemberRoute.Members {

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

    public synchronized ClientConnection acquire(String groupId, Map<String, Address> members,
        Duration askTimeout) {
      ClientConnection c = open.get(groupId);
      if (c != null && !c.directory.memberAddresses().equals(members)) {
        throw new IllegalStateException("clients of group " + groupId + " on this system already use the members "
            + c.directory.memberAddresses() + ", not " + members);
      }
      if (c == null) {
        c = new ClientConnection(system, groupId, members, ++opened, refreshInterval(system), askTimeout);
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

  /** {@code pekko-raft.client.membership-refresh-interval}: 0 (off) or positive. */
  static Duration refreshInterval(ActorSystem<?> system) {
    String key = "pekko-raft.client.membership-refresh-interval";
    Duration interval = system.settings().config().getDuration(key);
    if (interval.isNegative()) throw new ConfigException.BadValue(key, "must be 0 (off) or positive, not " + interval);
    return interval;
  }

  private final ActorSystem<?> system;
  private final String groupId;
  private final PeerDirectory directory;
  private final Address selfAddress;
  /** The members followed now: written by the follower only, read by requests on any thread. */
  private volatile MembershipFollower.Members members;
  /** The actor that follows the group's membership; taken by one refresh at a time. */
  private final ActorRef<MembershipFollower.Command> follower;
  private final AtomicBoolean refreshGate = new AtomicBoolean();
  private final TaggedReplies replies;
  private final RequestLoop requests;
  private final Cluster cluster;
  /** Where requests go: the leader hint and the servers that gave no answer lately. */
  private final MemberRoute route;
  private int references; // guarded by the registry

  private ClientConnection(ActorSystem<?> system, String groupId, Map<String, Address> members, int number,
      Duration refreshInterval, Duration askTimeout) {
    this.system = system;
    this.groupId = groupId;
    this.directory = new PeerDirectory(groupId, members);
    this.members = new MembershipFollower.Members(new TreeSet<>(members.keySet()).stream().toList(), members);
    String prefix = "pekko-raft-client-" + groupId + "-" + number;
    this.replies = new TaggedReplies(system, prefix);
    this.requests = new RequestLoop(system, RaftSerialization.get(system).codec(), replies);
    this.route = new MemberRoute(this, System::nanoTime, SessionSettings.fromConfig(
        system.settings().config().getConfig("pekko-raft")).attemptTimeout());
    this.cluster = Cluster.get(system);
    this.selfAddress = cluster.selfMember().address();
    // Last: the follower reads this connection's fields from its own thread.
    this.follower = system.systemActorOf(MembershipFollower.create(this, groupId, directory, refreshGate,
        refreshInterval, askTimeout), prefix + "-members", Props.empty());
  }

  /** The request loop every client of this connection shares. */
  public RequestLoop requests() {
    return requests;
  }

  /** The member the clients currently believe leads, or null. */
  public String leaderHint() {
    return route.leaderHint();
  }

  /** The route of reads of {@code consistency}: FOLLOWER and STALE reads go to the members other than the leader. */
  public RequestLoop.Route forReads(io.pekkoraft.consensus.ReadConsistency consistency) {
    return route.forReads(consistency);
  }

  /** The members followed now (the follower's latest snapshot). */
  MembershipFollower.Members members() {
    return members;
  }

  /** The follower follows {@code now}. */
  void membersChanged(MembershipFollower.Members now) {
    members = now;
  }

  /** The group's answer to the follower named its leader. */
  void leaderLearned(String leaderId) {
    route.leaderLearned(leaderId);
  }

  @Override
  public ActorRef<ServerCommand> next() {
    return route.next();
  }

  @Override
  public List<String> ids() {
    return members.ids();
  }

  /** The address this connection follows {@code member} at, or null when it does not know one. */
  public Address addressOf(String member) {
    return members.addresses().get(member);
  }

  /**
   * The member's server if its node is up and reachable in the cluster: the receptionist keeps listing a
   * node that is leaving or unreachable for a while, and a request sent there would end in a timeout
   * (outcome unknown) instead of a quick redirect. A member named as the leader ({@code named}) is also
   * reached before the receptionist lists it, at the path its server has on every member: a new leader
   * shortly after the cluster formed is often not listed here yet, and the client would otherwise wait
   * for the listing to spread (a quarter of a second was measured) while the leader serves.
   */
  @Override
  public ActorRef<ServerCommand> usable(String member, boolean named) {
    MembershipFollower.Members known = members;
    if (!known.contains(member)) return null; // not followed: the follower learns where it is first
    ActorRef<ServerCommand> ref = directory.get(member);
    // The directory lists a member's server only at its configured address (or, on that very node, as a
    // local ref), so the configured address stands for it: no path walk per request. A member followed at
    // no known address is listed only when a single server registered under its id: its ref's address.
    Address address = known.addresses().get(member);
    if (address == null && ref != null) address = ref.path().address().hasLocalScope() ? selfAddress : ref.path().address();
    if (address == null) return null;
    if (ref != null && address.equals(selfAddress)) return ref; // this node's own server
    if (!usableAddresses().contains(address)) return null;
    return ref != null ? ref : named ? byPath.computeIfAbsent(address, this::serverAt) : null;
  }

  /** Servers addressed by path, by their node's address, for members not listed yet. */
  private final Map<Address, ActorRef<ServerCommand>> byPath = new ConcurrentHashMap<>();

  private ActorRef<ServerCommand> serverAt(Address address) {
    return ActorRefResolver.get(system).resolveActorRef(address + "/system/" + RaftServer.actorName(groupId));
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

  /**
   * A leader this connection does not follow yet (added at run time) makes the follower ask the group for
   * its membership; until it answered, the request goes on asking the members it knows.
   */
  @Override
  public void unknownMember(String member) {
    MembershipFollower.refresh(refreshGate, follower);
  }

  @Override
  public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
    return route.notLeader(asked, leaderId);
  }

  /** Members do not forward the client's requests: they name the leader, and the client goes there itself. */
  @Override
  public int hops() {
    return route.hops();
  }

  @Override
  public void served(ActorRef<ServerCommand> asked) {
    route.served(asked);
  }

  @Override
  public void noAnswer(ActorRef<ServerCommand> asked) {
    route.noAnswer(asked);
  }

  /** {@code ref} is the member's server as listed, or as addressed by path. */
  @Override
  public boolean isServerOf(String member, ActorRef<ServerCommand> ref) {
    if (ref.equals(directory.get(member))) return true;
    Address address = members.addresses().get(member);
    return address != null && ref.equals(byPath.get(address));
  }

  /** Stops the follower, and with it the directory's subscribers (its children). */
  private void stop() {
    system.classicSystem().stop(Adapter.toClassic(follower));
    replies.stop();
    requests.close();
  }
}
