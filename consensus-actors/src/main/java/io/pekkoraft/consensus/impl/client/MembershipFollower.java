package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.PeerDirectory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The actor of a {@link ClientConnection} that decides which members it follows: the bootstrap members
 * ({@code pekko-raft.members}) when it opens, then the group's membership as the leader reports it. It
 * asks a member it knows ({@link MembershipRequest.GetMembership}, hops 0, so a follower forwards it to
 * the leader) when the connection hears of a member it does not know ({@link #refresh}: a NotLeader answer
 * naming it), and every {@code pekko-raft.client.membership-refresh-interval}. It then follows each member
 * at the address the membership records for it, else at its bootstrap address, and drops the members a
 * committed membership no longer holds (an uncommitted one adds members, drops none: it may still be
 * rolled back). The connection reads what it follows from an immutable snapshot ({@link Members}).
 *
 * <p>All following happens on this actor's thread: it alone calls {@link PeerDirectory#follow} and
 * {@link PeerDirectory#unfollow}, and its children are the directory's subscribers, so stopping it
 * stops them. At most one GetMembership is in flight; {@link #refresh} from the requests' threads is a
 * compare-and-set that lets one message through, and the gate reopens {@link #REFRESH_GAP} after the
 * answer, so that the NotLeader answers of many requests at once cost one question.
 */
final class MembershipFollower extends AbstractBehavior<MembershipFollower.Command> {

  /** The members a connection follows, sorted, and the address each must be listed from (absent: unknown). */
  record Members(List<String> ids, Map<String, Address> addresses) {
    Members {
      ids = List.copyOf(ids);
      addresses = Map.copyOf(addresses);
    }

    boolean contains(String member) {
      return ids.contains(member);
    }
  }

  /** Between two questions triggered by answers, at least this long. */
  static final Duration REFRESH_GAP = Duration.ofMillis(100);

  sealed interface Command {}

  /** Ask the group for its membership now (sent once the gate is taken). */
  private enum Refresh implements Command { INSTANCE }

  /** The periodic refresh. */
  private enum Tick implements Command { INSTANCE }

  /** The gap after an answer passed: another refresh may be asked for. */
  private enum GateOpen implements Command { INSTANCE }

  private record Answered(ActorRef<ServerCommand> asked, MembershipReply reply, Throwable failure) implements Command {}

  /** Taken by whoever sends {@link Refresh}; opened by this actor once the answer came and the gap passed. */
  private final AtomicBoolean gate;
  private final ClientConnection connection;
  private final String groupId;
  private final PeerDirectory directory;
  private final Duration askTimeout;
  private final TimerScheduler<Command> timers;
  /** The members followed now: where, and by which subscriber (a child). */
  private final Map<String, Following> following = new HashMap<>();
  private long subscribersSpawned;

  private record Following(Address address, ActorRef<Receptionist.Listing> subscriber) {}

  /** Ask for the membership soon, unless a question is in flight or was just answered; from any thread. */
  static void refresh(AtomicBoolean gate, ActorRef<Command> follower) {
    if (gate.compareAndSet(false, true)) follower.tell(Refresh.INSTANCE);
  }

  static Behavior<Command> create(ClientConnection connection, String groupId, PeerDirectory directory,
      AtomicBoolean gate, Duration refreshInterval, Duration askTimeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (!refreshInterval.isZero()) timers.startTimerWithFixedDelay(Tick.INSTANCE, refreshInterval);
      return new MembershipFollower(ctx, timers, connection, groupId, directory, gate, askTimeout);
    }));
  }

  private MembershipFollower(ActorContext<Command> ctx, TimerScheduler<Command> timers, ClientConnection connection,
      String groupId, PeerDirectory directory, AtomicBoolean gate, Duration askTimeout) {
    super(ctx);
    this.timers = timers;
    this.connection = connection;
    this.groupId = groupId;
    this.directory = directory;
    this.gate = gate;
    this.askTimeout = askTimeout;
    follow(new Members(new TreeSet<>(directory.memberAddresses().keySet()).stream().toList(),
        directory.memberAddresses()), false);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Refresh.INSTANCE, this::onRefresh)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(GateOpen.INSTANCE, this::onGateOpen)
        .onMessage(Answered.class, this::onAnswered)
        .build();
  }

  private Behavior<Command> onTick() {
    if (gate.compareAndSet(false, true)) return onRefresh();
    return this;
  }

  private Behavior<Command> onRefresh() {
    ActorRef<ServerCommand> server = connection.next();
    if (server == null) { // no member this connection knows is reachable: nobody to ask
      timers.startSingleTimer(GateOpen.INSTANCE, REFRESH_GAP);
      return this;
    }
    getContext().ask(MembershipReply.class, server, askTimeout,
        replyTo -> new MembershipRequest.GetMembership(0, replyTo),
        (reply, failure) -> new Answered(server, reply, failure));
    return this;
  }

  private Behavior<Command> onGateOpen() {
    gate.set(false);
    return this;
  }

  private Behavior<Command> onAnswered(Answered a) {
    timers.startSingleTimer(GateOpen.INSTANCE, REFRESH_GAP);
    if (a.reply() instanceof MembershipReply.Status status) {
      follow(members(status.membership()), true);
      if (status.leaderId() != null) connection.leaderLearned(status.leaderId());
    } else {
      // No leader known (an election), or no answer: the next NotLeader naming an unknown member, or the
      // next tick, asks again.
      getContext().getLog().debug("Group {}: the membership was not learned from {}: {}", groupId, a.asked(),
          a.failure() != null ? a.failure().toString() : a.reply());
    }
    return this;
  }

  /** Whom to follow after {@code m}: its members, each at its recorded address, else its bootstrap one. */
  private Members members(Membership m) {
    Set<String> ids = new TreeSet<>();
    ids.addAll(m.voters());
    ids.addAll(m.votersOutgoing());
    ids.addAll(m.learners());
    ids.addAll(m.learnersNext());
    Members now = connection.members();
    if (!m.committed()) ids.addAll(now.ids()); // it may be rolled back: drop nobody yet
    Map<String, Address> addresses = new LinkedHashMap<>();
    for (String id : ids) {
      Address address = parse(id, m.addresses().get(id));
      if (address == null) address = directory.memberAddresses().get(id);
      if (address == null && !m.addresses().containsKey(id)) address = now.addresses().get(id);
      if (address != null) addresses.put(id, address);
    }
    return new Members(ids.stream().toList(), addresses);
  }

  private Address parse(String member, String recorded) {
    if (recorded == null) return null;
    try {
      return AddressFromURIString.parse(recorded);
    } catch (Exception e) { // also java.net.MalformedURLException, checked but thrown from Scala
      getContext().getLog().warn("Group {}: the configuration records '{}' as the address of {}, which is not a"
          + " Pekko address; clients follow {} at its bootstrap address if it has one, else at any single server"
          + " listed under its id", groupId, recorded, member, member);
      return null;
    }
  }

  /**
   * Follow exactly {@code members}: subscribe to those not followed (or followed elsewhere), drop those gone;
   * {@code learned}: from the group's answer, not the bootstrap list.
   */
  private void follow(Members members, boolean learned) {
    if (members.ids().isEmpty()) {
      throw new IllegalStateException("group " + groupId + ": a membership without members was reported to a client");
    }
    boolean changed = false;
    for (Iterator<Map.Entry<String, Following>> it = following.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Following> f = it.next();
      if (!members.contains(f.getKey())) {
        directory.unfollow(f.getKey());
        getContext().stop(f.getValue().subscriber());
        it.remove();
        changed = true;
      }
    }
    for (String member : members.ids()) {
      Address address = members.addresses().get(member);
      Following before = following.get(member);
      if (before != null && Objects.equals(before.address(), address)) continue;
      if (before != null) getContext().stop(before.subscriber());
      // URL-encoded: a legal actor name whatever the id (MemberIds keeps ids plain; an id that is
      // not, in a configuration written before that rule, must not stop this actor).
      ActorRef<Receptionist.Listing> subscriber = getContext().spawn(directory.follow(member, address),
          "member-" + java.net.URLEncoder.encode(member, java.nio.charset.StandardCharsets.UTF_8) + "-"
          + ++subscribersSpawned);
      following.put(member, new Following(address, subscriber));
      changed = true;
    }
    connection.membersChanged(members);
    if (changed && learned) {
      getContext().getLog().info("Clients of group {} follow its members {} now, at {}", groupId, members.ids(),
          members.addresses());
    }
  }
}
