package io.pekkoraft.consensus;

import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.PeerDirectory;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A client of a Raft group from an ActorSystem that is not one of its members: a web tier, a batch job, a
 * test driver. It joins the same Pekko Cluster, finds the members through the receptionist, and sends each
 * request to the member it believes leads; a member that is not the leader answers NotLeader naming the
 * leader it knows, and the client goes there at once (or, while an election runs, tries again shortly).
 *
 * <pre>{@code
 * RaftClient<Command, Query, Long> counter = RaftClient.create(system, "counter");
 * counter.submit(new Increment(1)).thenAccept(value -> ...);
 * }</pre>
 *
 * The members come from {@code pekko-raft.members} of this system's configuration (the same list the
 * members use); the request deadline from {@code pekko-raft.client.ask-timeout}, or {@link #withAskTimeout}.
 * Failures are {@link RaftException}s: NotLeader and Rejected mean "not applied", Timeout and NoQuorum mean
 * "outcome unknown", and are never retried by the client itself.
 */
public final class RaftClient<C, Q, R> implements AutoCloseable {

  private static final AtomicInteger instances = new AtomicInteger();

  private final String groupId;
  private final Shared shared;
  private final Duration askTimeout;

  /** What clients made from one another by {@link #withAskTimeout} share: the listing and the leader hint. */
  private static final class Shared implements RequestLoop.Route {
    final ActorSystem<?> system;
    final PeerDirectory directory;
    final List<String> members;
    final List<ActorRef<?>> subscribers = new ArrayList<>();
    final TaggedReplies replies;
    final RequestLoop requests;
    final Cluster cluster;
    volatile String leaderHint;
    private final AtomicInteger roundRobin = new AtomicInteger();

    Shared(ActorSystem<?> system, String groupId, Map<String, Address> members) {
      this.system = system;
      this.directory = new PeerDirectory(groupId, members);
      this.members = List.copyOf(members.keySet());
      int instance = instances.incrementAndGet();
      this.replies = new TaggedReplies(system, "pekko-raft-client-" + groupId + "-" + instance + "-replies");
      this.requests = new RequestLoop(system, RaftSerialization.get(system).codec(), replies);
      this.cluster = Cluster.get(system);
      for (String member : this.members) {
        subscribers.add(system.systemActorOf(directory.subscriber(member),
            "pekko-raft-client-" + groupId + "-" + instance + "-" + member, Props.empty()));
      }
    }

    @Override
    public ActorRef<ServerCommand> next() {
      String hint = leaderHint;
      ActorRef<ServerCommand> leader = hint == null ? null : usable(hint);
      if (leader != null) return leader;
      int start = Math.floorMod(roundRobin.getAndIncrement(), members.size());
      for (int i = 0; i < members.size(); i++) {
        ActorRef<ServerCommand> listed = usable(members.get((start + i) % members.size()));
        if (listed != null) return listed;
      }
      return null;
    }

    /**
     * The member's server if it is listed and its node is up and reachable in the cluster: the receptionist
     * keeps listing a node that is leaving or unreachable for a while, and a request sent there would end
     * in a timeout (outcome unknown) instead of a quick redirect.
     */
    private ActorRef<ServerCommand> usable(String member) {
      ActorRef<ServerCommand> ref = directory.get(member);
      if (ref == null) return null;
      Address address = ref.path().address();
      if (address.hasLocalScope()) return ref;
      CurrentClusterState state = cluster.state();
      for (Member m : state.getUnreachable()) {
        if (m.address().equals(address)) return null;
      }
      for (Member m : state.getMembers()) {
        if (m.address().equals(address)) return m.status() == MemberStatus.up() ? ref : null;
      }
      return null;
    }

    @Override
    public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
      leaderHint = leaderId;
      ActorRef<ServerCommand> named = leaderId == null ? null : usable(leaderId);
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
        if (asked.equals(directory.get(member))) leaderHint = member;
      }
    }

    @Override
    public void noAnswer(ActorRef<ServerCommand> asked) {
      String hint = leaderHint;
      if (hint != null && asked.equals(directory.get(hint))) leaderHint = null;
    }
  }

  private RaftClient(String groupId, Shared shared, Duration askTimeout) {
    this.groupId = groupId;
    this.shared = shared;
    this.askTimeout = askTimeout;
  }

  /** A client of {@code groupId}, whose members are listed in this system's {@code pekko-raft.members}. */
  public static <C, Q, R> RaftClient<C, Q, R> create(ActorSystem<?> system, String groupId) {
    Objects.requireNonNull(groupId, "groupId");
    RaftSettings settings = RaftSettings.fromConfig(system.settings().config());
    return new RaftClient<>(groupId, new Shared(system, groupId, PekkoRaft.parseMembers(settings)),
        settings.askTimeout());
  }

  /** The same client (same listing and leader hint) with another deadline per request. */
  public RaftClient<C, Q, R> withAskTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("ask timeout must be positive: " + timeout);
    return new RaftClient<>(groupId, shared, timeout);
  }

  public String groupId() {
    return groupId;
  }

  /** The member this client currently believes leads, or null. */
  public String leaderHint() {
    return shared.leaderHint;
  }

  /** Replicate {@code command}; completes with the state machine's result once committed and applied. */
  public CompletionStage<R> submit(C command) {
    return shared.requests.command(command, shared, askTimeout);
  }

  /** A linearizable read: sees every command acknowledged before it started. */
  public CompletionStage<R> read(Q query) {
    return read(query, ReadConsistency.LINEARIZABLE);
  }

  public CompletionStage<R> read(Q query, ReadConsistency consistency) {
    return shared.requests.query(query, consistency, shared, askTimeout);
  }

  /** Stop following the members' listings (for every client that shares them). */
  @Override
  public void close() {
    for (ActorRef<?> s : shared.subscribers) {
      shared.system.classicSystem().stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(s));
    }
    shared.system.classicSystem().stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(shared.replies.inbox()));
  }
}
